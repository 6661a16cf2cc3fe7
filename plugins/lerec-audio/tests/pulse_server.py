"""A real PulseAudio server for the tests, private to them: its own runtime folder and socket, a null sink whose
monitor is the microphone the tests record, ``pacat`` to play a known signal into it."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

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
