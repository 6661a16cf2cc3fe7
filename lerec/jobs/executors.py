"""Running a job's ranks on one of datatrove's executors (local processes, Slurm or Ray) and watching them.

datatrove is imported here only, when a job runs, so ``import lerec`` stays light. Its completion markers
(``logs/completions/NNNNN``) make a rerun redo only the ranks that did not finish.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from lerec.errors import SettingsError
from lerec.jobs.episode_work import FAILED_FILE, PID_FILE, RankStep
from lerec.jobs.plan import JobError, WorkDir

EXECUTORS = ("local", "slurm", "ray")
MISSING_EXTRA = "--executor needs lerec[scale]: pip install 'lerec[scale]'"
POLL_S = 0.2


def _positive(name: str):
    def check(instance, attribute, value):
        if value is not None and value < 1:
            raise SettingsError(f"{name} {value}: must be at least 1")
    return check


@attrs.define(frozen=True)
class ExecutorSettings:
    """Where and how wide a job runs. ``workers``: ranks at a time (default: one per core); ``tasks``: ranks in
    all (default: ``workers``), the unit a rerun redoes."""

    executor: str = "local"
    workers: int | None = attrs.field(default=None, validator=_positive("--workers"))
    tasks: int | None = attrs.field(default=None, validator=_positive("--tasks"))
    slurm_partition: str | None = None
    slurm_time: str = "04:00:00"
    slurm_cpus_per_task: int = attrs.field(default=1, validator=_positive("--slurm.cpus_per_task"))
    ray_address: str | None = None

    def __attrs_post_init__(self):
        if self.executor not in EXECUTORS:
            raise SettingsError(f"--executor {self.executor!r}: expected one of {', '.join(EXECUTORS)}")

    def resolved_workers(self) -> int:
        return self.workers or os.cpu_count() or 1

    def task_count(self, units: int) -> int:
        """Ranks in all: never more than there are episodes."""
        return max(1, min(units, self.tasks or self.resolved_workers()))


def require_scale() -> None:
    """Raise the install hint when the ``scale`` extra is missing."""
    os.environ.setdefault("LOGURU_DIAGNOSE", "NO")  # datatrove's tracebacks without every variable's value
    try:
        import datatrove  # noqa: F401
    except ImportError:
        raise SettingsError(MISSING_EXTRA) from None


def _executor(settings: ExecutorSettings, work: WorkDir, tasks: int) -> Any:
    pipeline = [RankStep(str(work.root))]
    workers = min(settings.resolved_workers(), tasks)
    if settings.executor == "local":
        from lerec.jobs.local import LerecLocalExecutor

        # forkserver, not fork: a caller with threads (a notebook, the test suite, pyarrow's and the encoders'
        # pools) can hold a lock at the fork that the child then waits on for ever; CI's Python 3.13 run hung so,
        # every worker in futex_wait right after the fork. Each worker imports lerec again (a few seconds a job).
        return LerecLocalExecutor(pipeline, tasks=tasks, workers=workers, logging_dir=str(work.logs),
                                  start_method="forkserver", console_logs=_console_logs())
    if settings.executor == "ray":
        try:
            import ray
        except ImportError:
            raise SettingsError(MISSING_EXTRA) from None
        from datatrove.executor.ray import RayPipelineExecutor

        if not ray.is_initialized():
            if settings.ray_address:
                ray.init(address=settings.ray_address, log_to_driver=False)
            else:
                ray.init(num_cpus=workers, log_to_driver=False)
        return RayPipelineExecutor(pipeline, tasks=tasks, workers=workers, logging_dir=str(work.logs),
                                   mem_per_cpu_gb=0.5)
    from lerec.jobs.slurm import LerecSlurmExecutor

    if not settings.slurm_partition:
        raise SettingsError("--executor slurm needs --slurm.partition NAME (sinfo lists them)")
    return LerecSlurmExecutor(pipeline, tasks=tasks, workers=settings.workers or -1, logging_dir=str(work.logs),
                                 time=settings.slurm_time, partition=settings.slurm_partition,
                                 cpus_per_task=settings.slurm_cpus_per_task, venv_path=_venv_activate(),
                                 job_name=f"lerec-{work.root.name}", mail_type="NONE",
                                 slurm_logs_folder=str(work.root / "slurm_logs"))


def _venv_activate() -> str | None:
    activate = Path(sys.prefix) / "bin" / "activate"
    return str(activate) if activate.exists() else None


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by its pool, counts as dead)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


class _RankLost(Exception):
    pass


def lost_ranks(work: WorkDir, tasks: int) -> list[tuple[int, int]]:
    """(rank, pid) of the ranks whose process ended without finishing (a local worker killed by a signal)."""
    lost = []
    for rank in range(tasks):
        pid_file = work.rank_dir(rank) / PID_FILE
        if work.completed(rank) or not pid_file.exists():
            continue
        try:
            pid = int(pid_file.read_text())
        except (OSError, ValueError):
            continue
        if not _alive(pid) and not work.completed(rank):
            lost.append((rank, pid))
    return lost


def _started(work: WorkDir, ranks: list[int]) -> int:
    return sum((work.rank_dir(r) / PID_FILE).exists() for r in ranks)


@contextlib.contextmanager
def _watching(work: WorkDir, tasks: int, progress: Callable[[int], None], forked: int) -> Iterator[None]:
    """Report episodes done while the ranks run; with ``forked`` local worker processes, stop the run when one
    dies (datatrove's process pool would wait for its result forever). Until all ``forked`` workers have
    started, the thread takes no lock a forked child could inherit held (it only looks for pid files)."""
    local = forked > 0
    todo = [r for r in range(tasks) if not work.completed(r)]
    stop = threading.Event()
    lost: list[tuple[int, int]] = []
    main = threading.main_thread()
    interrupt = local and threading.current_thread() is main
    if interrupt:
        def raise_lost(signum, frame):
            raise _RankLost()
        previous = signal.signal(signal.SIGUSR1, raise_lost)

    def watch() -> None:
        reported = 0
        while local and _started(work, todo) < min(forked, len(todo)) and not stop.wait(POLL_S / 4):
            pass
        while not stop.wait(POLL_S):
            done = work.episodes_done()
            if done > reported:
                progress(done - reported)
                reported = done
            failed = any((work.rank_dir(r) / FAILED_FILE).exists() for r in todo)
            if interrupt and not lost and not failed:  # a failed rank's error is on its way: it ends the run
                found = lost_ranks(work, tasks)
                # the others go on (the pool gives their ranks to a new worker): stop once they are done
                if found and all(work.completed(r) or r in {f[0] for f in found} for r in todo):
                    lost.extend(found)
                    signal.pthread_kill(main.ident, signal.SIGUSR1)
        done = work.episodes_done()
        if done > reported:
            progress(done - reported)

    thread = threading.Thread(target=watch, name="lerec-job-watch", daemon=True)
    thread.start()
    try:
        yield
    except _RankLost:
        ranks = ", ".join(f"rank {r} (pid {p})" for r, p in lost)
        raise JobError(f"{ranks} ended before finishing (killed?); the finished ranks are kept in {work.root}: "
                       "run the same job again to redo only the missing ones") from None
    finally:
        stop.set()
        thread.join()
        if interrupt:
            signal.signal(signal.SIGUSR1, previous)


def _console_logs() -> bool:
    """datatrove's messages on the console too: when lerec logs debug messages (``lerec -v``)."""
    return logging.getLogger().isEnabledFor(logging.DEBUG)


@contextlib.contextmanager
def _datatrove_warnings_only() -> Iterator[None]:
    """datatrove's messages in this process (statistics of all ranks, 'Launching ...') at WARNING and above on
    the console, unless :func:`_console_logs`; its default console logger after."""
    if _console_logs():
        yield
        return
    from datatrove.utils.logging import setup_default_logger
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    try:
        yield
    finally:
        setup_default_logger()


def run_ranks(work: WorkDir, tasks: int, settings: ExecutorSettings, progress: Callable[[int], None]) -> list[int]:
    """Run the ranks not yet completed; returns the ranks this run started. Raises JobError when any is left."""
    require_scale()
    todo = [r for r in range(tasks) if not work.completed(r)]
    for rank in todo:  # an earlier attempt's pid and failure must not pass for this run's
        (work.rank_dir(rank) / PID_FILE).unlink(missing_ok=True)
        (work.rank_dir(rank) / FAILED_FILE).unlink(missing_ok=True)
    if todo:
        executor = _executor(settings, work, tasks)
        forked = min(settings.resolved_workers(), tasks) if settings.executor == "local" else 0
        with _watching(work, tasks, progress, forked if forked > 1 else 0), warnings.catch_warnings(), \
                _datatrove_warnings_only():
            warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
            warnings.filterwarnings("ignore", "placement_group", DeprecationWarning)  # datatrove calls Ray so
            executor.run()
            if settings.executor == "slurm":
                _wait_for_slurm(work, tasks, executor)
    missing = [r for r in range(tasks) if not work.completed(r)]
    if missing:
        raise JobError(f"{len(missing)} of {tasks} ranks did not finish (first: rank {missing[0]}, log "
                       f"{work.logs / 'logs' / f'task_{missing[0]:05d}.log'}); run the same job again to redo them")
    return todo


def _wait_for_slurm(work: WorkDir, tasks: int, executor: Any) -> None:
    """sbatch returns at once: wait until every rank is marked complete or the Slurm job has left the queue."""
    executor.wait(lambda: all(work.completed(r) for r in range(tasks)))
