"""Keep encoder threads below the control loop.

SVT-AV1 started by root gives its threads SCHED_FIFO priority 99; on a 2-core machine they then starve the
control loop (LeRobot's froze for up to 1.2 s). After an encoder starts, every real-time thread of the process
goes back to SCHED_OTHER, and the threads the encoder started get a higher nice value than the loop's. The
thread that called the encoder is left alone: anyio reuses it, for camera reads too.
"""

from __future__ import annotations

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


def demote_realtime_threads() -> int:
    """Move every real-time thread of this process to SCHED_OTHER; returns how many were moved."""
    moved = 0
    for tid in realtime_threads():
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
    """Give threads started since ``before`` (an encoder's) a lower priority than the control loop, and put any
    real-time thread back to normal scheduling; returns how many threads were reniced."""
    demote_realtime_threads()
    calmed = 0
    for tid in thread_ids() - before:
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) < niceness:
                os.setpriority(os.PRIO_PROCESS, tid, niceness)
                calmed += 1
        except OSError as exc:
            log.debug("could not renice thread %s: %s", tid, exc)
    return calmed
