"""What one rank does: its share of the planned episodes, each done into the rank's own staging folder.

Runs inside a datatrove worker (a pool process, a Ray actor or a Slurm task): a plain callable pipeline step
``(data, rank, world_size)``. Nothing here writes outside ``staging/rank-NNNNN/``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from lerec.dataset.reading.reader import DatasetReader
from lerec.errors import one_line
from lerec.jobs.kinds import job_of
from lerec.jobs.plan import RESULT, JobError, WorkDir, share

PID_FILE = "pid"
FAILED_FILE = "failed"  # written before a rank's error leaves it: the executor stops the others on purpose


@attrs.define(frozen=True)
class RankStep:
    """The job's one pipeline step: do rank ``rank``'s share of the units planned in ``work_dir``."""

    work_dir: str

    def __call__(self, data: Any = None, rank: int = 0, world_size: int = 1) -> None:
        work = WorkDir(self.work_dir)
        plan = work.plan()
        if world_size != plan["tasks"]:
            raise JobError(f"{work.root}: the executor runs {world_size} tasks, the plan has {plan['tasks']}")
        folder = work.rank_dir(rank)
        shutil.rmtree(folder, ignore_errors=True)  # what a killed attempt left: the rank is redone whole
        folder.mkdir(parents=True)
        (folder / PID_FILE).write_text(str(os.getpid()))
        units, kind, job = plan["units"], plan["kind"], job_of(plan)
        readers: dict[int, DatasetReader] = {}
        cache: dict[str, Any] = {}
        try:
            for unit in share(len(units), plan["tasks"], rank):
                s, e = units[unit]
                if s not in readers:
                    for old in readers.values():
                        old.close()
                    readers = {s: DatasetReader(plan["sources"][s], depth_output_unit="mm")}
                    cache = {}
                episode = work.episode_dir(rank, unit)
                episode.mkdir()
                try:
                    result = job.work(readers[s], e, episode, cache)
                except Exception as exc:
                    raise JobError(f"{plan['sources'][s]}: episode {e} ({kind}, rank {rank}): "
                                   f"{one_line(exc)}") from exc
                result.update({"source": s, "episode": e})
                tmp = episode / f".{RESULT}.tmp"
                tmp.write_text(json.dumps(_plain(result)))
                os.replace(tmp, episode / RESULT)
        except BaseException as exc:
            (folder / FAILED_FILE).write_text(one_line(exc))
            raise
        finally:
            for reader in readers.values():
                reader.close()


def _plain(value: Any) -> Any:
    """JSON-ready: numpy arrays and scalars as lists and numbers."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
