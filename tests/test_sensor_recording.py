"""Sensors at their own rate beside the cameras: a 200 Hz IMU and 16 kHz audio recorded with two cameras, checked
sample by sample against what the synthetic sensors produced, and aligned with each other and with the frames."""

from __future__ import annotations

import math
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

from lerec import Recorder
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.validate import validate
from lerec.dataset.sensors.sensor_streams import episode_start_ns
from lerec.dataset.spec import format as fmt
from lerec.cameras.synthetic import event_marked
from lerec.testing import episode_video
from lerec.sensors.synthetic import (
    BURST_S,
    EVENT_SPIKE,
    SyntheticAudioConfig,
    SyntheticImuConfig,
    audio_values,
)

from recording_fixtures import FAST_H264, small_camera

FPS = 30
SECONDS = 3.0
EVENT_S = 0.5  # every half second of the monotonic clock, the IMU spikes and the microphone bursts
IMU_HZ, AUDIO_HZ = 200, 16000
SENSORS = {"imu": SyntheticImuConfig(hz=IMU_HZ, event_every_s=EVENT_S),
           "mic": SyntheticAudioConfig(sample_rate=AUDIO_HZ, event_every_s=EVENT_S)}


class TickTimes:
    """A step that notes when each tick ran (the tick's frames were taken just before)."""

    def __init__(self):
        self.ns: list[int] = []

    def __call__(self):
        self.ns.append(time.monotonic_ns())
        return {}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    root = tmp_path_factory.mktemp("sensors") / "ds"
    ticks = TickTimes()

    async def record():
        async with Recorder.create(root, FPS, {"front": small_camera(event_every_s=EVENT_S), "wrist": small_camera()},
                                   rgb_encoder=FAST_H264, sensors=SENSORS) as rec:
            await rec.record_episode("sense", SECONDS, step=ticks)
            await rec.record_episode("sense", 1.0)

    import anyio
    anyio.run(record)
    return root, ticks.ns


def _check_stream(times: np.ndarray, rate: float, duration_s: float) -> None:
    period_ns = 1e9 / rate
    assert times.dtype == np.int64
    assert (np.diff(times) > 0).all()  # strictly increasing
    expected = rate * duration_s
    assert abs(len(times) - expected) <= 0.005 * expected, (len(times), expected)
    measured = (len(times) - 1) / ((times[-1] - times[0]) / 1e9)  # from capture times, not from wall speed
    assert abs(measured - rate) <= 0.005 * rate
    # No gap longer than 2 periods, at the start, inside, or at the end of the episode.
    assert times[0] < 2 * period_ns and np.diff(times).max() <= 2 * period_ns
    assert duration_s * 1e9 - times[-1] <= 2 * period_ns


def test_counts_gaps_and_order(recorded):
    root, _ = recorded
    with DatasetReader(root) as reader:
        assert set(reader.sensor_streams) == {"observation.sensors.imu", "observation.audio.mic"}
        for e, seconds in ((0, SECONDS), (1, 1.0)):
            duration_s = reader.length(e) / FPS
            assert duration_s == seconds
            _check_stream(reader.stream(e, "imu")[0], IMU_HZ, duration_s)
            _check_stream(reader.stream(e, "mic")[0], AUDIO_HZ, duration_s)
    assert validate(root, decode=True) == []


def test_every_sample_is_the_one_the_sensor_made(recorded):
    root, _ = recorded
    with DatasetReader(root) as reader:
        times, imu = reader.stream(0, "observation.sensors.imu")
        assert imu.shape == (len(times), 6) and imu.dtype == np.float32
        assert (np.diff(imu[:, 0]) % 65536 == 1).all()  # the counter: no sample lost or repeated
        times, mic = reader.stream(0, "mic")
        assert mic.shape == (len(times), 1) and mic.dtype == np.int16
    # Outside the bursts, the microphone's samples are its tone at consecutive sample numbers (FLAC is lossless).
    start = episode_start_ns(root, reader.sensor_streams["observation.audio.mic"], 0, 1000)
    quiet = (times + start) % int(EVENT_S * 1e9) >= int(BURST_S * 1e9)
    period = AUDIO_HZ // math.gcd(AUDIO_HZ, 440)
    first = next(n for n in range(period)
                 if (audio_values(np.arange(n, n + 400), 1, AUDIO_HZ, 440.0)[quiet[:400]] == mic[:400][quiet[:400]]).all())
    expected = audio_values(np.arange(first, first + len(mic)), 1, AUDIO_HZ, 440.0)
    assert (expected[quiet] == mic[quiet]).all()


def test_the_event_is_aligned_across_imu_audio_and_camera(recorded):
    root, tick_ns = recorded
    with DatasetReader(root) as reader:
        decl = reader.sensor_streams["observation.sensors.imu"]
        start = episode_start_ns(root, decl, 0, 1000)
        imu_t, imu = reader.stream(0, "imu")
        mic_t, mic = reader.stream(0, "mic")
        row = reader.episode(0)
    spikes = imu_t[imu[:, 1] > EVENT_SPIKE / 2]
    loud = np.abs(mic[:, 0].astype(np.int32)) > 20000
    onsets = mic_t[loud & ~np.concatenate([[False], loud[:-1]])]
    # The events on the recording clock, relative to the episode's first tick.
    first = -(start % int(EVENT_S * 1e9))
    true = [t for t in np.arange(first, SECONDS * 1e9, EVENT_S * 1e9) if 0 <= t and t + 1e9 / IMU_HZ <= SECONDS * 1e9]
    assert len(true) >= 5 and len(true) <= len(spikes) <= len(true) + 2 and len(onsets) >= len(true)
    ages_ns = np.asarray(row["lerec/observation.images.front/capture_age_us"]) * 1000
    frames, _ = episode_video(root, "observation.images.front", 0)
    marked = [k for k, frame in enumerate(frames) if event_marked(frame)]
    for event in true:
        imu_at = spikes[np.argmin(np.abs(spikes - event))]
        mic_at = onsets[np.argmin(np.abs(onsets - event))]
        assert 0 <= imu_at - event < 1e9 / IMU_HZ  # the first IMU sample at or after the event
        assert 0 <= mic_at - event < 1e9 / AUDIO_HZ  # the first audio sample at or after the event
        assert abs(imu_at - mic_at) < 1e9 / IMU_HZ
    # The camera marks the frames it captured within a frame period after an event (its pixels). The dataset shows
    # such a frame at row k, time k / fps: the frame was age_k old at tick k, which ran late_k after its deadline, so
    # it was captured at k / fps + late_k - age_k: within a frame period after exactly one event, whatever the load
    # made the ages and lateness. (late_k is measured by the step, called just after the tick took its frames: a
    # bound, on the safe side; ages are stored in whole microseconds: 1 us of slack.)
    event_ns = int(EVENT_S * 1e9)
    late_ns = np.asarray(tick_ns) - start - np.arange(len(tick_ns)) * 1e9 / FPS
    shown = set()  # the events a marked frame shows, by index from `first`
    for k in marked:
        earliest = k * 1e9 / FPS - ages_ns[k] - 1e9 / FPS - 1e3  # an event after this ...
        latest = k * 1e9 / FPS - ages_ns[k] + late_ns[k]  # ... and at or before this one
        events = range(math.floor((earliest - first) / event_ns) + 1, math.floor((latest - first) / event_ns) + 1)
        assert len(events) == 1, (k, ages_ns[k], late_ns[k], list(events))  # one event, none elsewhere
        shown.add(events[0])
    true_events = {round((event - first) / event_ns) for event in true}
    # Each marked frame shows exactly one event (above). How many events show depends on the load: a marked frame
    # the camera delivered late, with the next one before any tick, is not in the video (one run in LeRobot's
    # venv showed 3 of 6), so only that some do is asserted.
    assert true_events & shown, (shown, true_events)
    # Every tick ran at or after its deadline on the clock the sensor files were stamped with: the files' episode
    # start is the first tick's.
    deadlines = np.arange(len(tick_ns)) * 1e9 / FPS
    assert (np.asarray(tick_ns) - start >= deadlines - 1).all()


def test_window_around_a_frame(recorded):
    root, _ = recorded
    with DatasetReader(root) as reader:
        index = reader.episode(1)[fmt.DATASET_FROM_INDEX] + 15  # episode 1, frame 15: 0.5 s into it
        times, values = reader.window(index, "imu", before_s=0.1, after_s=0.05)
        all_times, all_values = reader.stream(1, "imu")
    inside = (all_times >= 0.4e9) & (all_times <= 0.55e9)
    assert (times == all_times[inside]).all() and (values == all_values[inside]).all()
    assert abs(len(times) - 0.15 * IMU_HZ) <= 1


def test_lerobot_shape_nothing_undeclared(recorded):
    root, _ = recorded
    with DatasetReader(root) as reader:
        features = set(reader.features)
        assert not any("sensors" in k or "audio" in k for k in features)  # not frame features
    for path in root.glob(fmt.DATA_FILES):
        assert set(pq.read_schema(path).names) <= features  # LeRobot 0.6.1 refuses undeclared data columns
    assert (root / fmt.SENSORS_META_PATH).is_file()
    assert sorted(p.relative_to(root).as_posix() for p in root.glob("audio/*/*/*")) == [
        "audio/observation.audio.mic/chunk-000/file-000.m4a", "audio/observation.audio.mic/chunk-000/file-001.m4a"]
