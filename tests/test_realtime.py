"""Encoder threads must not starve the control loop."""

import os
import threading

import anyio
import pytest

from lerec import Recorder, RGBEncoderConfig
from lerec.cameras.synthetic import synthetic_rgb
from lerec.encoding.episode_encoder import EpisodeEncoder
from lerec.encoding.realtime import realtime_threads, thread_ids

from recording_fixtures import small_camera


def test_no_real_time_threads_after_svtav1_starts(tmp_path):
    # As root, SVT-AV1 asks for SCHED_FIFO 99 for its threads; the episode encoder puts them back.
    encoder = EpisodeEncoder(tmp_path / "a.mp4", codec="libsvtav1", options={"preset": "12", "g": "2"},
                             width=64, height=48, fps=30, pix_fmt="yuv420p", input_format="rgb24")
    encoder.encode(synthetic_rgb(0, 64, 48))
    assert realtime_threads() == []
    encoder.finish()


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


def _real_time_thread():
    """A thread of the host at SCHED_FIFO, as a robot's control thread would be; None when not permitted."""
    ready, stop, tid, error = threading.Event(), threading.Event(), [], []

    def control_loop():
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
        except OSError as exc:
            error.append(exc)
        tid.append(threading.get_native_id())
        ready.set()
        stop.wait()

    thread = threading.Thread(target=control_loop, daemon=True)
    thread.start()
    ready.wait()
    return thread, stop, tid[0], (error or [None])[0]


@pytest.mark.skipif(not hasattr(os, "SCHED_FIFO") or os.geteuid() != 0,
                    reason="giving a thread SCHED_FIFO needs root (CAP_SYS_NICE) on Linux")
def test_a_recording_leaves_the_hosts_real_time_threads_alone(tmp_path):
    thread, stop, host, error = _real_time_thread()
    if error is not None:
        stop.set()
        pytest.skip(f"this container refuses SCHED_FIFO even to root: {error}")
    try:
        seen_during = []

        def step():
            seen_during.append(set(realtime_threads()))
            return {}

        async def session():
            cams = {"front": small_camera(width=64, height=48)}
            async with Recorder.create(tmp_path / "d", 30, cams, rgb_encoder=RGBEncoderConfig(vcodec="libsvtav1")) as rec:
                await rec.record_episode("t", num_frames=10, step=step)

        anyio.run(session)
        assert os.sched_getscheduler(host) == os.SCHED_FIFO
        # While SVT-AV1 ran (its threads started by root ask for SCHED_FIFO), only the host's thread was real-time.
        assert seen_during and all(threads == {host} for threads in seen_during[1:]), seen_during
    finally:
        stop.set()
        thread.join()
