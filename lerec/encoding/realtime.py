"""Keep encoder threads at normal priority.

SVT-AV1 started by root gives its threads SCHED_FIFO priority 99; on a 2-core machine they then starve the
control loop (LeRobot's froze for up to 1.2 s). After an encoder starts, we put every real-time thread of the
process back to SCHED_OTHER.
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


def lower_current_thread_priority(niceness: int = 10) -> None:
    """Make the calling thread (and threads it starts, such as an encoder's) yield to the control loop."""
    import threading

    try:
        current = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        if current < niceness:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (OSError, AttributeError) as exc:
        log.debug("could not lower thread priority: %s", exc)
