"""One dataset job from plan to output: plan the episodes, run the ranks, commit, clean up."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from lerec.dataset.assemble import check_output_not_source
from lerec.dataset.merge import merged_features
from lerec.dataset.metadata import DatasetMeta
from lerec.dataset.reader import DatasetReader
from lerec.dataset.validate import Problem
from lerec.errors import DatasetError, DatasetRequestError
from lerec.jobs.commit import commit
from lerec.jobs.executors import ExecutorSettings, require_scale, run_ranks
from lerec.jobs.plan import JobSpec, WorkDir, default_work_dir


def _noop(n: int) -> None:
    pass


def plan_units(spec: JobSpec) -> list[tuple[int, int]]:
    """(source, episode) of every episode the job processes, in the output's order."""
    return [(s, e) for s, source in enumerate(spec.sources) for e in range(len(DatasetMeta.load(source).episodes))]


def _check_start(spec: JobSpec) -> None:
    """What would fail at the commit fails before any work: a used output, mismatched merge sources."""
    if spec.output is None:
        return
    check_output_not_source(spec.output, list(spec.sources))
    out = Path(spec.output)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DatasetRequestError(f"{out} exists and is not empty; choose a new output folder")
    if spec.kind == "merge":
        if len(spec.sources) < 2:
            raise DatasetRequestError("merge needs at least two datasets")
        readers = [DatasetReader(s) for s in spec.sources]
        try:
            merged_features(readers)
        finally:
            for reader in readers:
                reader.close()


def run_job(spec: JobSpec, settings: ExecutorSettings, *, work_dir: str | os.PathLike | None = None,
            progress: Callable[[int], None] | None = None, keep_work: bool = False) -> Path | list[Problem]:
    """Run ``spec`` on ``settings``' executor. A rerun with the same ``work_dir`` (default ``OUTPUT.lerec-job``)
    after a failure redoes only the ranks that did not finish. Returns the output folder (``validate``: the
    problems found). ``progress(n)`` is called as episodes finish."""
    require_scale()
    _check_start(spec)
    units = plan_units(spec)
    if not units:
        raise DatasetError(f"{spec.sources[0]}: no episodes to process")
    work = WorkDir(work_dir or default_work_dir(spec))
    tasks = settings.task_count(len(units))
    if settings.tasks is None and (work.root / "job.json").exists():
        tasks = work.plan()["tasks"]  # a rerun keeps the ranks it was planned with, whatever --workers is now
    work.start(spec, units, tasks)
    run_ranks(work, tasks, settings, progress or _noop)
    result = commit(work)
    if not keep_work:
        work.remove()
    return result
