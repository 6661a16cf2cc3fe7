"""Keep encoder threads below the control loop, and leave every other thread alone.

SVT-AV1 started by root gives its threads SCHED_FIFO priority 99; on a 2-core machine they then starve the
control loop (LeRobot's froze for up to 1.2 s). After an encoder starts, the threads it started (those that did
not exist before it) go back to SCHED_OTHER and get a higher nice value than the loop's. Threads that existed
before, such as a robot's own real-time control threads in the process that records, keep their policy. The
thread that called the encoder keeps its nice value (anyio reuses it, for camera reads as well) and gets its
scheduling policy back: SVT-AV1 sets the caller's to SCHED_FIFO too.
"""

from __future__ import annotations

import contextlib
import logging
import os

log = logging.getLogger(__name__)

_REALTIME = {getattr(os, "SCHED_FIFO", -1), getattr(os, "SCHED_RR", -2)}


def realtime_threads() -> list[int]:
    """Thread ids of this process that run under a real-time scheduling policy."""
    if not hasattr(os, "sched_getscheduler"):
        return []
    found = []
    for name in os.listdir("/proc/self/task"):
        try:
            if os.sched_getscheduler(int(name)) in _REALTIME:
                found.append(int(name))
        except OSError:
            continue
    return found


def demote_realtime_threads(tids: set[int]) -> int:
    """Move the real-time threads among ``tids`` to SCHED_OTHER; returns how many were moved."""
    moved = 0
    for tid in set(realtime_threads()) & tids:
        try:
            os.sched_setscheduler(tid, os.SCHED_OTHER, os.sched_param(0))
            moved += 1
        except OSError as exc:
            log.debug("could not demote thread %s: %s", tid, exc)
    return moved


def thread_ids() -> set[int]:
    """Ids of this process's threads."""
    try:
        return {int(name) for name in os.listdir("/proc/self/task")}
    except OSError:
        return set()


def calm_new_threads(before: set[int], niceness: int = 10) -> int:
    """Give threads started since ``before`` (an encoder's) normal scheduling and a lower priority than the
    control loop; returns how many threads were reniced. Threads that existed before are not touched."""
    started = thread_ids() - before
    demote_realtime_threads(started)
    calmed = 0
    for tid in started:
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) < niceness:
                os.setpriority(os.PRIO_PROCESS, tid, niceness)
                calmed += 1
        except OSError as exc:
            log.debug("could not renice thread %s: %s", tid, exc)
    return calmed


@contextlib.contextmanager
def keeping_caller_policy():
    """Around an encoder call: the calling thread's scheduling policy and priority as they were before it."""
    if not hasattr(os, "sched_getscheduler"):
        yield
        return
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    try:
        yield
    finally:
        if os.sched_getscheduler(0) != policy or os.sched_getparam(0) != param:
            try:
                os.sched_setscheduler(0, policy, param)
            except OSError as exc:
                log.debug("could not restore the calling thread's scheduling: %s", exc)
