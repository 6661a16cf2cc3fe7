"""Encoder threads must not starve the control loop."""

import os
import threading

import pytest

from lerec.cameras.synthetic import synthetic_rgb
from lerec.encoding.episode_encoder import EpisodeEncoder
from lerec.encoding.realtime import demote_realtime_threads, realtime_threads, thread_ids


def _can_make_realtime_threads() -> bool:
    """Whether this process may give a thread SCHED_FIFO (root, CAP_SYS_NICE or an RLIMIT_RTPRIO above 0)."""
    result = []

    def attempt():
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        except (PermissionError, OSError):
            result.append(False)
        else:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
            result.append(True)

    worker = threading.Thread(target=attempt)
    worker.start()
    worker.join()
    return result[0]


needs_realtime = pytest.mark.skipif(
    not hasattr(os, "SCHED_FIFO") or not _can_make_realtime_threads(),
    reason="needs the right to real-time scheduling (root or CAP_SYS_NICE): without it no thread can be "
    "SCHED_FIFO, SVT-AV1's included, and the check would pass without testing anything")


@needs_realtime
def test_no_real_time_threads_after_svtav1_starts(tmp_path):
    # As root, SVT-AV1 asks for SCHED_FIFO 99 for its threads; the episode encoder puts them back.
    encoder = EpisodeEncoder(tmp_path / "a.mp4", codec="libsvtav1", options={"preset": "12", "g": "2"},
                             width=64, height=48, fps=30, pix_fmt="yuv420p", input_format="rgb24")
    encoder.encode(synthetic_rgb(0, 64, 48))
    assert realtime_threads() == []
    encoder.finish()


@needs_realtime
def test_a_real_time_thread_is_found_and_put_back_to_normal_scheduling():
    ready, release = threading.Event(), threading.Event()
    tid = []

    def realtime_worker():
        tid.append(threading.get_native_id())
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        ready.set()
        release.wait()

    worker = threading.Thread(target=realtime_worker)
    worker.start()
    try:
        ready.wait()
        assert realtime_threads() == tid
        assert demote_realtime_threads() == 1
        assert realtime_threads() == [] and os.sched_getscheduler(tid[0]) == os.SCHED_OTHER
    finally:
        release.set()
        worker.join()


def test_no_thread_of_a_fresh_process_is_real_time():
    assert realtime_threads() == []
    assert threading.get_native_id() in thread_ids()


def test_encoder_threads_are_niced_below_the_loop_and_the_caller_is_not(tmp_path):
    me = threading.get_native_id()
    before = thread_ids()
    encoder = EpisodeEncoder(tmp_path / "b.mp4", codec="libx264", options={"preset": "medium", "threads": "2"},
                             width=64, height=48, fps=30, pix_fmt="yuv420p", input_format="rgb24")
    encoder.encode(synthetic_rgb(0, 64, 48))
    started = thread_ids() - before
    assert started, "x264 with threads=2 starts worker threads"
    assert {os.getpriority(os.PRIO_PROCESS, tid) for tid in started} == {10}
    assert os.getpriority(os.PRIO_PROCESS, me) == 0
    encoder.finish()
