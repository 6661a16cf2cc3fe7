"""Encoder threads must not starve the control loop."""

import os
import threading


from lerec.cameras.synthetic import synthetic_rgb
from lerec.encoding.episode_encoder import EpisodeEncoder
from lerec.encoding.realtime import realtime_threads, thread_ids


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
    # SVT-AV1 starts its threads in every PyAV build; x264 with threads=2 starts none in av 15's.
    encoder = EpisodeEncoder(tmp_path / "b.mp4", codec="libsvtav1", options={"preset": "12", "svtav1-params": "lp=2"},
                             width=64, height=48, fps=30, pix_fmt="yuv420p", input_format="rgb24")
    encoder.encode(synthetic_rgb(0, 64, 48))
    started = thread_ids() - before
    assert started, "SVT-AV1 starts worker threads"
    assert {os.getpriority(os.PRIO_PROCESS, tid) for tid in started} == {10}
    assert os.getpriority(os.PRIO_PROCESS, me) == 0
    encoder.finish()
