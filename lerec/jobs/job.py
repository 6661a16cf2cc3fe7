"""One dataset job from plan to output: plan the episodes, run the ranks, commit, clean up."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from lerec.dataset.editing.assemble import check_output_not_source
from lerec.dataset.reading.validate import Problem
from lerec.errors import DatasetError, DatasetRequestError
from lerec.jobs.commit import commit
from lerec.jobs.executors import ExecutorSettings, require_scale, run_ranks
from lerec.jobs.kinds import Job
from lerec.jobs.plan import WorkDir
from lerec.jobs.spec import JobSpec, default_work_dir


def _noop(n: int) -> None:
    pass


def _check_start(spec: JobSpec, job: Job) -> None:
    """What would fail at the commit fails before any work: a used output, what the kind checks."""
    if spec.output is not None:
        check_output_not_source(spec.output, list(spec.sources))
        out = Path(spec.output)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise DatasetRequestError(f"{out} exists and is not empty; choose a new output folder")
    job.check()


def run_job(spec: JobSpec, settings: ExecutorSettings, *, work_dir: str | os.PathLike | None = None,
            progress: Callable[[int], None] | None = None, keep_work: bool = False) -> Path | list[Problem]:
    """Run ``spec`` on ``settings``' executor. A rerun with the same ``work_dir`` (default ``OUTPUT.lerec-job``)
    after a failure redoes only the ranks that did not finish. Returns the output folder (``validate``: the
    problems found). ``progress(n)`` is called as episodes finish."""
    require_scale()
    job = spec.job()
    _check_start(spec, job)
    units = job.units()
    if not units:
        raise DatasetError(f"{spec.sources[0]}: no episodes to process")
    work = WorkDir(work_dir or default_work_dir(spec))
    tasks = settings.task_count(len(units))
    if settings.tasks is None and (work.root / "job.json").exists():
        tasks = work.plan()["tasks"]  # a rerun keeps the ranks it was planned with, whatever --workers is now
    work.start(spec.to_json(), units, tasks)
    run_ranks(work, tasks, settings, progress or _noop)
    result = commit(work)
    if not keep_work:
        work.remove()
    return result
