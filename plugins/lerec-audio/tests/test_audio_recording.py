"""A microphone recorded beside a camera, against a real PulseAudio server the test starts: a known tone played
into its null sink is found in the recording, at the time it was played; a server that goes away mid-episode
ends that episode with a SensorError and keeps the saved ones."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import numpy as np
import pytest

from lerec import Recorder, RGBEncoderConfig, SyntheticCameraConfig
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.validate import validate
from lerec.dataset.sensors.sensor_streams import episode_start_ns
from lerec.errors import SensorError, SettingsError
from lerec.sensors.registry import build_sensor_config, sensor_types
from lerec_audio import AudioConfig
from lerec_audio.plugin import find

# --- A real PulseAudio server, private to the tests: its own runtime folder and socket, a null sink whose monitor
# is the microphone recorded, pacat to play a known signal into it.
SINK = "lerec_null"
RATE = 16000


@contextlib.contextmanager
def pulse_server(folder: Path) -> Iterator[dict[str, str]]:
    """Start PulseAudio (a user daemon, also as root) with a null sink; yields the environment that points
    PulseAudio clients (ALSA's ``pulse`` device, ``pacat``) at it; stops it (by its pid) on exit."""
    if not (shutil.which("pulseaudio") and shutil.which("pacat") and shutil.which("pactl")):
        pytest.skip("PulseAudio is not installed (apt-get install pulseaudio pulseaudio-utils libasound2-plugins)")
    folder.mkdir(parents=True, exist_ok=True)
    socket = folder / "native"
    env = {"XDG_RUNTIME_DIR": str(folder), "HOME": str(folder), "PULSE_SERVER": f"unix:{socket}",
           "PULSE_SOURCE": f"{SINK}.monitor", "PULSE_SINK": SINK}
    proc = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=false", "--system=false",
         "-L", f"module-native-protocol-unix socket={socket} auth-anonymous=1",
         "-L", f"module-null-sink sink_name={SINK} rate={RATE} channels=1"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(["pactl", "info"], env={**os.environ, **env}, capture_output=True).returncode != 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PulseAudio did not start (exit status {proc.poll()})")
            time.sleep(0.1)
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            yield env
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def tone(seconds: float, hz: float, amplitude: int = 16000) -> np.ndarray:
    return np.rint(amplitude * np.sin(2 * np.pi * hz * np.arange(int(seconds * RATE)) / RATE)).astype(np.int16)


def play(env: dict[str, str], signal: np.ndarray) -> int:
    """Play ``signal`` into the null sink; returns ``time.monotonic_ns()`` just before ``pacat`` started."""
    started = time.monotonic_ns()
    subprocess.run(["pacat", "--playback", f"--device={SINK}", "--format=s16le", f"--rate={RATE}", "--channels=1",
                    "--latency-msec=50"], input=signal.tobytes(), env={**os.environ, **env}, check=True,
                   timeout=60)
    return started


FAST_H264 = RGBEncoderConfig(vcodec="h264", preset="ultrafast")
CAMERA = {"front": SyntheticCameraConfig(width=64, height=48, fps=30)}
MIC = {"mic": AudioConfig(device="pulse", sample_rate=RATE)}
TONE_HZ, TONE_S = 1000.0, 0.4


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with pulse_server(tmp_path_factory.mktemp("pulse")) as env:
        yield env


def test_the_type_is_found_and_checks_its_options(server):
    assert sensor_types()["audio"].distribution == "lerec-audio"
    assert any(found.options["device"] == "pulse" for found in find())
    with pytest.raises(SettingsError, match="sample_rate must be one of .*16000"):
        build_sensor_config("audio", {"sample_rate": 12345})
    with pytest.raises(SettingsError, match="channels must be an integer from 1 to 8"):
        build_sensor_config("audio", {"channels": 0})


def test_a_played_tone_is_recorded_at_the_time_it_was_played(server, tmp_path):
    root = tmp_path / "ds"
    played = []

    async def play_later():
        await anyio.sleep(1.0)
        played.append(await anyio.to_thread.run_sync(play, server, tone(TONE_S, TONE_HZ)))

    async def session():
        async with Recorder.create(root, 30, CAMERA, rgb_encoder=FAST_H264, sensors=MIC) as rec:
            async with anyio.create_task_group() as tg:
                tg.start_soon(play_later)
                await rec.record_episode("listen", 3.0)

    anyio.run(session)
    assert validate(root, decode=True) == []
    with DatasetReader(root) as reader:
        times, values = reader.stream(0, "mic")
        start = episode_start_ns(root, reader.sensor_streams["observation.audio.mic"], 0, 1000)
    # The sample clock: every sample of the 3 s, strictly increasing, no gap.
    assert abs(len(times) - 3 * RATE) <= 0.005 * 3 * RATE
    assert (np.diff(times) > 0).all() and np.diff(times).max() <= 2e9 / RATE
    # The tone: where it is loud, for as long as it was played, at its frequency.
    loud = np.nonzero(np.abs(values[:, 0].astype(np.int32)) > 8000)[0]
    assert len(loud), "the tone played into the null sink was not recorded"
    onset_ns, end_ns = start + times[loud[0]], start + times[loud[-1]]
    # At the time it was played: after pacat started, give or take the null sink's rendering ahead (it takes its
    # input a chunk at a time and passes the chunk to its monitor at once, so samples can seem up to a chunk early:
    # measured 4 to 10 ms here), and within pacat's start and PulseAudio's latency (well under 0.5 s).
    assert -0.05e9 <= onset_ns - played[0] < 0.5e9, (onset_ns - played[0]) / 1e6
    # The tone, at full amplitude: a sine is above half its amplitude two thirds of the time. On a loaded machine
    # pacat can underrun, and PulseAudio then plays silence in the middle and may skip a little: so at least
    # three quarters of it, over a span of at least its length.
    assert np.abs(values).max() >= 0.95 * 16000
    assert 0.75 * TONE_S * RATE * 2 / 3 <= len(loud) <= 1.02 * TONE_S * RATE * 2 / 3
    assert 0.75 * TONE_S <= (end_ns - onset_ns) / 1e9 < TONE_S + 0.3
    heard = values[loud[0]:loud[-1], 0].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(heard))
    assert abs(np.argmax(spectrum) * RATE / len(heard) - TONE_HZ) < 10


def test_a_server_that_goes_away_ends_the_episode_and_keeps_the_saved_ones(tmp_path):
    root = tmp_path / "ds"

    async def session(stop_server):
        async with Recorder.create(root, 30, CAMERA, rgb_encoder=FAST_H264, sensors=MIC) as rec:
            await rec.record_episode("listen", 0.5)
            async with anyio.create_task_group() as tg:
                async def stop_later():
                    await anyio.sleep(0.5)
                    await anyio.to_thread.run_sync(stop_server)
                tg.start_soon(stop_later)
                with pytest.raises(SensorError, match="sensor 'mic'"):
                    await rec.record_episode("listen", 5.0)
            assert rec.num_episodes == 1

    with contextlib.ExitStack() as stack:
        stack.enter_context(pulse_server(tmp_path / "pulse"))
        anyio.run(session, stack.close)
    assert validate(root, decode=True) == []
    with DatasetReader(root) as reader:
        assert reader.num_episodes == 1 and abs(len(reader.stream(0, "mic")[0]) - RATE // 2) <= 80
