"""Where a dataset job's ranks keep their work: the plan on disk, its folder and each rank's share.

A job's folder (``OUTPUT.lerec-job`` beside the output) holds ``job.json`` (the plan), ``logs/`` (datatrove's
logs and completion markers, one per finished rank) and ``staging/rank-NNNNN/`` (what one rank made: per episode a
folder with its fragment MP4s and ``result.json``, written last, so a folder without it is unfinished work).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from lerec.dataset.store.atomic import write_json_atomically
from lerec.errors import DatasetError

RESULT = "result.json"


class JobError(DatasetError):
    """A job that cannot start, whose episode failed, or whose ranks did not all finish."""


def share(units: int, tasks: int, rank: int) -> range:
    """The consecutive units rank ``rank`` of ``tasks`` processes (shares differ by at most one)."""
    return range(rank * units // tasks, (rank + 1) * units // tasks)


class WorkDir:
    """A job's folder: the plan it was started with, the ranks' staging folders, datatrove's logging dir."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def rank_dir(self, rank: int) -> Path:
        return self.root / "staging" / f"rank-{rank:05d}"

    def episode_dir(self, rank: int, unit: int) -> Path:
        return self.rank_dir(rank) / f"unit-{unit:07d}"

    def completed(self, rank: int) -> bool:
        return (self.logs / "completions" / f"{rank:05d}").exists()

    def start(self, job: Mapping[str, Any], units: Sequence[tuple[int, int]], tasks: int) -> dict[str, Any]:
        """Write the plan (``job``: a JobSpec as JSON, with its units and ranks), or check that the one found (a
        rerun) is the same job; returns the plan."""
        plan = {**job, "tasks": tasks, "units": [list(u) for u in units]}
        path = self.root / "job.json"
        if path.exists():
            found = json.loads(path.read_text())
            if found != plan:
                differs = next(k for k in plan if found.get(k) != plan[k])
                raise JobError(f"{self.root} holds another job (its {differs!r} differs: "
                               f"{_short(found.get(differs))} vs {_short(plan[differs])}); delete it or choose "
                               "another work folder")
            return found
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # beside a dataset on a read-only file system, say
            raise JobError(f"{self.root}: cannot create the job's work folder ({exc.strerror or exc}); "
                           "give a writable one with --work_dir (work_dir= in Python)") from None
        write_json_atomically(path, plan)
        return plan

    def plan(self) -> dict[str, Any]:
        return json.loads((self.root / "job.json").read_text())

    def results(self, tasks: int, units: int) -> Iterator[tuple[int, Path, dict[str, Any]]]:
        """(unit, its folder, its result) in unit order; raises JobError naming the first missing one."""
        for rank in range(tasks):
            for unit in share(units, tasks, rank):
                folder = self.episode_dir(rank, unit)
                try:
                    result = json.loads((folder / RESULT).read_text())
                except FileNotFoundError:
                    raise JobError(f"{folder}: rank {rank} left no result for unit {unit}; rerun the job to redo "
                                   "the ranks that did not finish") from None
                yield unit, folder, result

    def episodes_done(self) -> int:
        """Episodes with a result so far (progress while the ranks run)."""
        staging = self.root / "staging"
        return sum(1 for _ in staging.glob(f"rank-*/unit-*/{RESULT}")) if staging.exists() else 0

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) < 80 else text[:77] + "..."
