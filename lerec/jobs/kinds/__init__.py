"""The job kinds, by the name a plan gives them: the only place a kind's name is spelled.

A new kind is a :class:`~lerec.jobs.kinds.base.Job` subclass in a module of its own, plus its line here (and, for
users, a function in ``lerec.jobs`` and a flag or command in ``lerec.cli``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lerec.jobs.kinds.base import Job
from lerec.jobs.kinds.merge import Merge
from lerec.jobs.kinds.reencode import Reencode
from lerec.jobs.kinds.stats import RecomputeStats
from lerec.jobs.kinds.validate import Validate

JOBS: dict[str, type[Job]] = {
    "reencode": Reencode,
    "merge": Merge,
    "validate": Validate,
    "stats": RecomputeStats,
}


def job_of(plan: Mapping[str, Any]) -> Job:
    """The job a plan describes (``job.json``, or a :class:`~lerec.jobs.spec.JobSpec` as JSON)."""
    return JOBS[plan["kind"]](plan["sources"], plan["output"], plan["settings"])
