"""Keep encoder threads below the control loop, and leave every other thread alone.

SVT-AV1 started by root gives its threads SCHED_FIFO priority 99; on a 2-core machine they then starve the
control loop (LeRobot's froze for up to 1.2 s). Even at normal priority, a hundred encoder threads outweigh the
loop and the camera readers: the scheduler shares the CPU per thread. So after an encoder starts, the threads it
started (those that did not exist before it, and are not Python threads) run under SCHED_IDLE, nice 19: they get
the CPU that the loop, the readers and everything else leave, and give it back as soon as one of them wakes. They
never hold the GIL (they are the codec's own), so they cannot hold the loop back. Threads that existed before,
such as a robot's own real-time control threads in the process that records, keep their policy.

SCHED_IDLE yields to every other process too: where other programs keep every core busy, it gets next to nothing.
So once the loop's last tick is taken, the encoder's threads move to SCHED_BATCH, nice 10 (:func:`hurry_threads`),
and drain the episode's backlog at a share of the CPU. Leaving SCHED_IDLE needs CAP_SYS_NICE (root) or an
RLIMIT_NICE of 10 or more; without it they stay idle, and the save waits for a core to come free. Encoders with
no control loop beside them (re-encoding a dataset) start their threads at SCHED_BATCH, nice 10 directly.

The worker thread that calls the encoder (anyio reuses it, for camera reads as well) keeps its nice value: a
thread cannot lower its nice value again without privilege, nor leave SCHED_IDLE. While it encodes it runs under
SCHED_BATCH (:func:`encoding_in_background`), which it can leave: it does not preempt the loop when it wakes, yet
keeps its fair share, since it holds the GIL at times and the loop would wait for a starved holder. It gets its
scheduling policy back after an encoder call: SVT-AV1 sets the caller's to SCHED_FIFO too.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import threading
import time

log = logging.getLogger(__name__)

_REALTIME = {getattr(os, "SCHED_FIFO", -1), getattr(os, "SCHED_RR", -2)}
ENCODER_NICE = 19
DRAINING_NICE = 10  # after the loop's last tick (:func:`hurry_threads`)


def usable_cores() -> int:
    """The cores this process may run on (its affinity, as ``taskset`` sets it), at least 1."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


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


def thread_scheduling(tid: int) -> tuple[int, int]:
    """(policy, nice) of this process's thread ``tid``, as /proc shows them (fields 41 and 19 of its stat)."""
    with open(f"/proc/self/task/{tid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[38]), int(fields[16])


def python_thread_ids(timeout_s: float = 1.0) -> set[int]:
    """Native ids of this process's Python threads, those being started included: a thread that has an OS id but
    no ``native_id`` yet (it sets its own as it starts) is waited for, up to ``timeout_s``. Called after listing
    /proc, it covers every Python thread listed there: Python registers a thread before creating it."""
    threads = threading.enumerate()
    deadline = time.monotonic() + timeout_s
    while any(t.native_id is None for t in threads) and time.monotonic() < deadline:
        time.sleep(0.0005)
    return {t.native_id for t in threads if t.native_id is not None}


def calm_new_threads(before: set[int], *, beside_loop: bool = True) -> set[int]:
    """Move the threads started since ``before`` (an encoder's own) out of the way; returns their ids. Beside a
    control loop: SCHED_IDLE, nice 19 (where SCHED_IDLE does not exist: nice 19). With none (tools that re-encode
    a dataset): SCHED_BATCH, nice 10, what :func:`hurry_threads` gives. Real-time ones are demoted first. Threads
    that existed before, and Python threads (a worker anyio started meanwhile, which may read a camera next), are
    not touched."""
    started = thread_ids() - before - python_thread_ids()
    demote_realtime_threads(started)
    if beside_loop:
        return _schedule(started, getattr(os, "SCHED_IDLE", None), ENCODER_NICE)
    return _schedule(started, getattr(os, "SCHED_BATCH", None), DRAINING_NICE)


def hurry_threads(tids: set[int]) -> set[int]:
    """Move calmed encoder threads to SCHED_BATCH, nice 10, once no control loop needs the CPU; returns the ids of
    those moved. Where the process may not (no CAP_SYS_NICE, RLIMIT_NICE below 10), they stay as they are."""
    return _schedule(tids, getattr(os, "SCHED_BATCH", None), DRAINING_NICE)


@functools.cache
def _say_threads_stay_idle() -> None:
    log.info("encoder threads stay under SCHED_IDLE after the last tick (moving them needs CAP_SYS_NICE or an "
             "RLIMIT_NICE of 10): where other programs keep every core busy, a save waits for a free core")


def _schedule(tids: set[int], policy: int | None, nice: int) -> set[int]:
    """Give ``tids`` ``policy`` (None: keep theirs) and ``nice``; the ids of those given it."""
    done = set()
    for tid in sorted(tids):
        try:
            if policy is not None and os.sched_getscheduler(tid) != policy:
                os.sched_setscheduler(tid, policy, os.sched_param(0))
        except PermissionError:  # the same for every thread
            _say_threads_stay_idle()
            break
        except OSError as exc:  # the thread ended meanwhile
            log.debug("could not schedule thread %s: %s", tid, exc)
            continue
        with contextlib.suppress(OSError):  # not below a nice value the process was started with, unprivileged
            if os.getpriority(os.PRIO_PROCESS, tid) != nice:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
        done.add(tid)
    return done


@contextlib.contextmanager
def encoding_in_background():
    """Around a batch of encoder calls on a worker thread: the thread under SCHED_BATCH, its policy back after."""
    batch = getattr(os, "SCHED_BATCH", None)
    if batch is None:
        yield
        return
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    changed = False
    if policy == os.SCHED_OTHER:
        try:
            os.sched_setscheduler(0, batch, os.sched_param(0))
            changed = True
        except OSError as exc:
            log.debug("could not move the encoding thread to SCHED_BATCH: %s", exc)
    try:
        yield
    finally:
        if changed:
            try:
                os.sched_setscheduler(0, policy, param)
            except OSError as exc:
                log.debug("could not restore the encoding thread's scheduling: %s", exc)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


_CAP_VERSION_3 = 0x20080522
_CAP_SYS_NICE = 23


@functools.cache
def _libc():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc if hasattr(libc, "capget") and hasattr(libc, "capset") else None
    except OSError:
        return None


def _set_sys_nice(effective: bool) -> bool:
    """Raise or drop CAP_SYS_NICE in the calling thread's effective set (capabilities are per thread on Linux);
    whether it was effective before."""
    libc = _libc()
    if libc is None:
        return False
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        return False
    bit = 1 << _CAP_SYS_NICE
    was = bool(data[0].effective & bit)
    if was != effective and (data[0].permitted & bit):
        data[0].effective = (data[0].effective | bit) if effective else (data[0].effective & ~bit)
        if libc.capset(ctypes.byref(header), data) != 0:
            log.debug("could not %s CAP_SYS_NICE: errno %s", "raise" if effective else "drop", ctypes.get_errno())
    return was


@contextlib.contextmanager
def keeping_caller_policy():
    """Around an encoder call: the calling thread's scheduling policy and priority as they were before it, and no
    right to real-time scheduling inside it. Threads inherit their creator's capabilities, so the threads an encoder
    starts there cannot make themselves SCHED_FIFO (SVT-AV1 started by root asks for it): they start normal, and
    :func:`calm_new_threads` then moves them lower, with no moment at FIFO 99 in between."""
    if not hasattr(os, "sched_getscheduler"):
        yield
        return
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    had_sys_nice = _set_sys_nice(False)
    try:
        yield
    finally:
        if had_sys_nice:
            _set_sys_nice(True)
        if os.sched_getscheduler(0) != policy or os.sched_getparam(0) != param:
            try:
                os.sched_setscheduler(0, policy, param)
            except OSError as exc:
                log.debug("could not restore the calling thread's scheduling: %s", exc)
