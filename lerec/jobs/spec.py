"""What a dataset job does: its kind (one of ``lerec.jobs.kinds.JOBS``), sources, output and settings."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from lerec.jobs.kinds import JOBS, Job, job_of


@attrs.define(frozen=True)
class JobSpec:
    """One job: its kind, the source datasets, the output folder (None for ``validate``) and its settings."""

    kind: str = attrs.field(validator=attrs.validators.in_(tuple(JOBS)))
    sources: tuple[str, ...] = attrs.field(converter=lambda s: tuple(str(Path(p).resolve()) for p in s))
    output: str | None = attrs.field(converter=lambda p: None if p is None else str(Path(p).resolve()))
    settings: Mapping[str, Any] = attrs.field(factory=dict, converter=dict, hash=False)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "sources": list(self.sources), "output": self.output,
                "settings": json.loads(json.dumps(self.settings))}

    def job(self) -> Job:
        """The job of its kind, with the settings as the ranks will read them (JSON)."""
        return job_of(self.to_json())


def default_work_dir(spec: JobSpec) -> Path:
    """``OUTPUT.lerec-job``, or ``SOURCE.lerec-validate`` for a job without output."""
    if spec.output is not None:
        return Path(spec.output + ".lerec-job")
    return Path(spec.sources[0] + ".lerec-validate")
