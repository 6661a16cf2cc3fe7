"""Encoder threads must not starve the control loop."""

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
from fractions import Fraction

import av
import pytest

from lerec.cameras.synthetic import synthetic_rgb
from lerec.encoding.episode_encoder import EpisodeEncoder
from lerec.encoding.realtime import (demote_realtime_threads, keeping_caller_policy, realtime_threads, thread_ids,
                                    thread_scheduling)


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


def _recorded_in_a_process(script: str, tmp_path) -> dict:
    """Run ``script`` (a recording into ``tmp_path/d``) in a Python of its own; the JSON its last line prints."""
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "d")], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@needs_realtime
def test_no_real_time_threads_after_svtav1_starts(tmp_path):
    # As root, SVT-AV1 asks for SCHED_FIFO 99 for its threads and its caller; the episode encoder puts them back.
    # (Threads made real-time before, by another test's direct use of SVT-AV1, are not this encoder's.)
    already = set(realtime_threads())
    encoder = EpisodeEncoder(tmp_path / "a.mp4", codec="libsvtav1", options={"preset": "12", "g": "2"},
                             width=64, height=48, fps=30, pix_fmt="yuv420p", input_format="rgb24")
    encoder.encode(synthetic_rgb(0, 64, 48))
    assert set(realtime_threads()) - already == set()
    encoder.finish()


@needs_realtime
def test_threads_an_encoder_starts_are_never_real_time_even_before_they_are_calmed():
    # Inside keeping_caller_policy the caller has no CAP_SYS_NICE, which the threads SVT-AV1 starts inherit: their
    # request for SCHED_FIFO 99 fails, and no thread is real-time even between the open and calm_new_threads.
    seen = {}

    def open_svtav1():
        before = thread_ids()
        with keeping_caller_policy():
            context = av.codec.context.CodecContext.create("libsvtav1", "w")
            context.width, context.height, context.pix_fmt = 64, 48, "yuv420p"
            context.time_base = Fraction(1, 30)
            # lp=2: SVT-AV1 4.x encodes on the calling thread alone at lp=1, starting no thread to look at.
            context.options = {"preset": "12", "svtav1-params": "lp=2"}
            context.open()
            started = thread_ids() - before
            seen["started"], seen["realtime"] = started, set(realtime_threads()) & started
            context.encode(None)
        seen["caller"] = os.sched_getscheduler(0)

    worker = threading.Thread(target=open_svtav1)
    worker.start()
    worker.join()
    assert seen["started"] and seen["realtime"] == set()
    assert seen["caller"] == os.SCHED_OTHER


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
        assert demote_realtime_threads(set()) == 0  # only the threads it is given (an encoder's own) move
        assert realtime_threads() == tid
        assert demote_realtime_threads(set(tid)) == 1
        assert realtime_threads() == [] and os.sched_getscheduler(tid[0]) == os.SCHED_OTHER
    finally:
        release.set()
        worker.join()


def test_no_thread_of_a_fresh_process_is_real_time():
    assert realtime_threads() == []
    assert threading.get_native_id() in thread_ids()


def test_encoder_threads_are_idle_below_the_loop_and_the_caller_is_not(tmp_path):
    me = threading.get_native_id()
    before = thread_ids()
    # SVT-AV1 starts its threads in every PyAV build; x264 with threads=2 starts none in av 15's.
    encoder = EpisodeEncoder(tmp_path / "b.mp4", codec="libsvtav1", options={"preset": "12", "svtav1-params": "lp=2"},
                             width=64, height=48, fps=30, pix_fmt="yuv420p", input_format="rgb24")
    encoder.encode(synthetic_rgb(0, 64, 48))
    started = thread_ids() - before
    assert started, "SVT-AV1 starts worker threads"
    assert {thread_scheduling(tid) for tid in started} == {(os.SCHED_IDLE, 19)}
    assert thread_scheduling(me) == (os.SCHED_OTHER, 0)
    encoder.finish()


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="SCHED_BATCH is Linux's")
def test_with_no_loop_beside_it_an_encoder_starts_its_threads_at_batch_nice_10(tmp_path):
    # Re-encoding a dataset: no loop to yield to, and SCHED_IDLE would starve wherever other programs keep the
    # cores busy. Reaching SCHED_BATCH nice 10 from normal scheduling needs no privilege.
    before = thread_ids()
    encoder = EpisodeEncoder(tmp_path / "o.mp4", codec="libsvtav1", options={"preset": "12", "svtav1-params": "lp=2"},
                             width=64, height=48, fps=30, pix_fmt="yuv420p", input_format="rgb24", beside_loop=False)
    encoder.encode(synthetic_rgb(0, 64, 48))
    started = thread_ids() - before
    assert started, "SVT-AV1 starts worker threads"
    mine = os.getpriority(os.PRIO_PROCESS, 0)  # run niced above 10 and unprivileged, they keep that
    expected = 10 if os.geteuid() == 0 or mine <= 10 else mine
    assert {thread_scheduling(tid) for tid in started} == {(os.SCHED_BATCH, expected)}
    encoder.finish()


def _may_leave_idle() -> bool:
    """Whether this process may move a thread out of SCHED_IDLE at nice 10 (CAP_SYS_NICE, or RLIMIT_NICE >= 10)."""
    return os.geteuid() == 0 or resource.getrlimit(resource.RLIMIT_NICE)[0] >= 10


needs_nice = pytest.mark.skipif(not hasattr(os, "SCHED_IDLE") or not _may_leave_idle(),
                                reason="leaving SCHED_IDLE needs CAP_SYS_NICE or an RLIMIT_NICE of 10")


@needs_nice
def test_hurried_encoder_threads_run_batch_nice_10_and_those_started_after_too(tmp_path):
    def encoder_at(path):
        return EpisodeEncoder(path, codec="libsvtav1", options={"preset": "12", "svtav1-params": "lp=2"},
                              width=64, height=48, fps=30, pix_fmt="yuv420p", input_format="rgb24")

    before = thread_ids()
    encoder = encoder_at(tmp_path / "h.mp4")
    encoder.encode(synthetic_rgb(0, 64, 48))  # every SVT-AV1 build has started its threads by now
    started = thread_ids() - before
    assert started, "SVT-AV1 starts worker threads"
    assert {thread_scheduling(tid) for tid in started} == {(os.SCHED_IDLE, 19)}
    encoder.hurry()
    assert {thread_scheduling(tid) for tid in started} == {(os.SCHED_BATCH, 10)}
    encoder.finish()

    before = thread_ids()
    encoder = encoder_at(tmp_path / "i.mp4")
    encoder.hurry()  # before the first frame, whose encoding starts the threads in some SVT-AV1 builds
    encoder.encode(synthetic_rgb(0, 64, 48))
    started = thread_ids() - before
    assert started and {thread_scheduling(tid) for tid in started} == {(os.SCHED_BATCH, 10)}
    encoder.finish()


SCHEDULING_DURING_A_RECORDING = """
import json, os, sys, threading
import anyio
from lerec import Recorder, RGBEncoderConfig, SyntheticCameraConfig
from lerec.encoding.realtime import thread_ids, thread_scheduling

seen = []

def step():
    python = {t.native_id for t in threading.enumerate()}
    threads = {}
    for tid in thread_ids():
        try:
            threads[tid] = thread_scheduling(tid)
        except OSError:  # ended meanwhile
            continue
    seen.append({"loop": threading.get_native_id(), "python": sorted(python), "threads": threads})
    return {}

async def session():
    cams = {f"cam{i}": SyntheticCameraConfig(width=160, height=120) for i in range(3)}
    async with Recorder.create(sys.argv[1], 30, cams, rgb_encoder=RGBEncoderConfig(vcodec="libsvtav1")) as rec:
        report = await rec.record_episode("t", num_frames=30, step=step)
    print(json.dumps({"seen": seen, "frames": [s.frames for s in report.streams.values()],
                      "nice": os.getpriority(os.PRIO_PROCESS, 0)}))

# A host's main thread runs at normal scheduling (a child inherits its parent's).
os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
anyio.run(session)
"""


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux's")
def test_during_a_recording_encoder_threads_run_idle_and_the_loop_and_readers_do_not(tmp_path):
    # In a process of its own, so that every thread it has is the recording's; its threads' scheduling is read
    # from /proc at every tick.
    result = _recorded_in_a_process(SCHEDULING_DURING_A_RECORDING, tmp_path)
    assert result["frames"] == [30, 30, 30]  # every frame encoded
    idle = set()
    for tick in result["seen"]:
        threads = {int(tid): tuple(value) for tid, value in tick["threads"].items()}
        # The control loop keeps normal scheduling, at the nice value the test runs with (0 unless run niced).
        assert threads[tick["loop"]] == (os.SCHED_OTHER, result["nice"])
        for tid in tick["python"]:  # camera reads, spills, encoder calls: never idle, never reniced
            if tid in threads:
                assert threads[tid] in {(os.SCHED_OTHER, result["nice"]), (os.SCHED_BATCH, result["nice"])}, tick
        idle |= {tid for tid, value in threads.items() if value[0] == os.SCHED_IDLE}
        assert all(threads[tid] == (os.SCHED_IDLE, 19) for tid in idle if tid in threads)
        assert not {tid for tid, value in threads.items() if value[0] in (os.SCHED_FIFO, os.SCHED_RR)}
    assert len(idle) >= 3, "each of the three SVT-AV1 encoders starts threads of its own, run under SCHED_IDLE"


SCHEDULING_AFTER_THE_LAST_TICK = """
import json, sys, threading
import anyio
from lerec import Recorder, RGBEncoderConfig, SyntheticCameraConfig
from lerec.encoding.realtime import python_thread_ids, thread_ids, thread_scheduling

seen, stop = {"recording": set(), "encoding": set()}, threading.Event()

def sample(rec):  # the scheduling of the encoders' threads, during the ticks and after the last one
    while not stop.is_set():
        found = set()
        for tid in thread_ids() - python_thread_ids():
            try:
                found.add(tuple(thread_scheduling(tid)))
            except OSError:
                continue
        phase = rec.status.phase  # read after the sweep: "recording" then means no thread was hurried before it
        if phase in seen:
            seen[phase] |= found

async def session():
    cams = {f"cam{i}": SyntheticCameraConfig(width=320, height=240) for i in range(2)}
    # Every frame waits on disk: the encoders encode only after the last tick.
    async with Recorder.create(sys.argv[1], 30, cams, rgb_encoder=RGBEncoderConfig(vcodec="libsvtav1"),
                               streaming_encoding=False) as rec:
        sampler = threading.Thread(target=sample, args=(rec,))
        sampler.start()
        report = await rec.record_episode("t", num_frames=45, step=dict)
        stop.set()
        sampler.join()
    print(json.dumps({k: sorted(v) for k, v in seen.items()} | {"frames": [s.frames for s in report.streams.values()]}))

anyio.run(session)
"""


@needs_nice
def test_after_the_last_tick_the_encoders_drain_at_batch_nice_10(tmp_path):
    # During the ticks the encoders' threads are idle; after the last one, the episode's frames (all on disk here)
    # are encoded by threads at SCHED_BATCH nice 10, which programs busy on every core cannot starve.
    result = _recorded_in_a_process(SCHEDULING_AFTER_THE_LAST_TICK, tmp_path)
    assert result["frames"] == [45, 45]
    # (Some SVT-AV1 builds start their threads with the first frame: here after the last tick, so none may be
    # seen idle during it; test_hurried_encoder_threads_… covers both kinds.)
    assert [os.SCHED_BATCH, 10] not in result["recording"]
    assert [os.SCHED_BATCH, 10] in result["encoding"]


UNPRIVILEGED_RECORDING = """
import logging, sys
import anyio
from lerec import Recorder, RGBEncoderConfig, SyntheticCameraConfig

logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")

async def session():
    cams = {"front": SyntheticCameraConfig(width=160, height=120)}
    async with Recorder.create(sys.argv[1], 30, cams, rgb_encoder=RGBEncoderConfig(vcodec="libsvtav1")) as rec:
        for _ in range(2):
            report = await rec.record_episode("t", num_frames=15, step=dict)
            print("frames", report.streams["observation.images.front"].frames)

anyio.run(session)
"""


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None or not hasattr(os, "SCHED_IDLE"),
                    reason="drops CAP_SYS_NICE with setpriv, as root")
def test_without_the_right_to_leave_idle_the_episodes_are_saved_and_it_is_said_once(tmp_path):
    done = subprocess.run(["setpriv", "--bounding-set=-sys_nice", "--inh-caps=-sys_nice", sys.executable, "-c",
                           UNPRIVILEGED_RECORDING, str(tmp_path / "d")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["frames", "15", "frames", "15"]
    assert done.stderr.count("encoder threads stay under SCHED_IDLE after the last tick") == 1, done.stderr


HOST_WITH_A_REAL_TIME_THREAD = """
import os, sys, threading
import anyio
from lerec import Recorder, RGBEncoderConfig, SyntheticCameraConfig
from lerec.encoding.realtime import realtime_threads

ready, stop, host = threading.Event(), threading.Event(), []

def control_loop():  # a robot's control thread
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except OSError as exc:
        print("refused", exc)
        sys.exit(0)
    host.append(threading.get_native_id())
    ready.set()
    stop.wait()

# A host's main thread runs at normal scheduling (a child inherits its parent's: pytest's may be real-time).
os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
threading.Thread(target=control_loop, daemon=True).start()
ready.wait()
seen = []

def step():
    seen.append(sorted(realtime_threads()))
    return {}

async def session():
    cams = {"front": SyntheticCameraConfig(width=64, height=48)}
    async with Recorder.create(sys.argv[1], 30, cams, rgb_encoder=RGBEncoderConfig(vcodec="libsvtav1")) as rec:
        await rec.record_episode("t", num_frames=10, step=step)

anyio.run(session)
print("host", host[0], "policy after", os.sched_getscheduler(host[0]), "fifo", os.SCHED_FIFO)
print("real-time during", sorted({tuple(threads) for threads in seen}))
"""


@pytest.mark.skipif(not hasattr(os, "SCHED_FIFO") or os.geteuid() != 0,
                    reason="giving a thread SCHED_FIFO needs root (CAP_SYS_NICE) on Linux")
def test_a_recording_leaves_the_hosts_real_time_threads_alone(tmp_path):
    # In a process of its own: SVT-AV1 used directly by other tests leaves this one's threads real-time.
    done = subprocess.run([sys.executable, "-c", HOST_WITH_A_REAL_TIME_THREAD, str(tmp_path / "d")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    if done.stdout.startswith("refused"):
        pytest.skip(f"this container refuses SCHED_FIFO even to root: {done.stdout.strip()}")
    host, after, fifo = re.search(r"host (\d+) policy after (\d+) fifo (\d+)", done.stdout).groups()
    assert after == fifo, done.stdout
    # While SVT-AV1 ran (its threads started by root ask for SCHED_FIFO 99), only the host's thread was real-time.
    assert re.search(r"real-time during (.*)", done.stdout).group(1) == f"[({host},)]", done.stdout


FEEDERS_AT_ONCE = """
import json, os, sys, threading, time
import anyio
from lerec import Recorder, RGBEncoderConfig, SyntheticCameraConfig
from lerec.recording.stream_encoder import StreamEncoder

os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one usable core, for this thread and those it starts
lock, now, most = threading.Lock(), [0], [0]
encode_batch = StreamEncoder._encode_batch

def counted(self, items):  # the real batch, counted; it lasts long enough for every stream to have frames waiting
    with lock:
        now[0] += 1
        most[0] = max(most[0], now[0])
    try:
        time.sleep(0.02)
        encode_batch(self, items)
    finally:
        with lock:
            now[0] -= 1

StreamEncoder._encode_batch = counted

async def session():
    cams = {f"cam{i}": SyntheticCameraConfig(width=160, height=120) for i in range(3)}
    async with Recorder.create(sys.argv[1], 30, cams, rgb_encoder=RGBEncoderConfig(vcodec="libsvtav1")) as rec:
        report = await rec.record_episode("t", num_frames=30, step=dict)
    print(json.dumps({"most": most[0], "frames": [s.frames for s in report.streams.values()]}))

anyio.run(session)
"""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity (Linux)")
def test_no_more_encoder_feeders_at_once_than_usable_cores(tmp_path):
    # Workers feeding the encoders compete with the loop for the CPU and the GIL: on one core, one at a time
    # (three cameras used to get three), and every frame is still encoded.
    result = _recorded_in_a_process(FEEDERS_AT_ONCE, tmp_path)
    assert result["frames"] == [30, 30, 30]
    assert result["most"] == 1
