"""A microphone through PortAudio (sounddevice): int16 blocks from PortAudio's callback thread, each sample given a
capture time on the ``time.monotonic_ns`` clock by :class:`SampleClock`."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import numpy as np

from lerec.errors import SensorError, SettingsError
from lerec.sensors import SampleBatch, Sensor, SensorSpec
from lerec_audio.config import AudioConfig

WARM_UP_S = 0.3  # the stream's first blocks: their samples are dropped, their capture times place the clock
DRIFT = 1e-3  # how fast the clock follows capture times reported later than it predicts (1000 ppm)


def _sounddevice():
    try:
        import sounddevice
    except OSError as exc:  # sounddevice imports, but PortAudio is missing
        raise SensorError("audio", f"PortAudio is not installed ({exc}); Debian/Ubuntu: apt-get install "
                          "libportaudio2") from None
    return sounddevice


class SampleClock:
    """Capture times of consecutive samples at ``rate``: sample k at ``anchor + k / rate``.

    A block's reported capture time is its true one plus a delay that only ever adds (the callback ran late, a
    buffer was full), so the anchor follows the earliest reports: a block reported earlier than predicted moves
    it back at once (by up to half a period a block, so times strictly increase), one reported later moves it
    forward by at most :data:`DRIFT` of the block (the device's clock drifting against the monotonic one), and
    only samples PortAudio says were lost (an overflow) make it jump forward."""

    def __init__(self, rate: float):
        self.period_ns = 1e9 / rate
        self.anchor: float | None = None
        self.samples = 0

    def observe(self, reported_ns: int, frames: int) -> None:
        """A warm-up block: its samples are dropped, its capture time places the clock."""
        estimate = reported_ns - self.samples * self.period_ns
        self.anchor = estimate if self.anchor is None else min(self.anchor, estimate)
        self.samples += frames

    def block(self, reported_ns: int, frames: int, lost: bool = False) -> np.ndarray:
        """The capture times of the next ``frames`` samples, whose first the device says it captured at
        ``reported_ns``; ``lost``: samples before them were lost."""
        if self.anchor is None:
            self.anchor = float(reported_ns - self.samples * self.period_ns)
        error = reported_ns - (self.anchor + self.samples * self.period_ns)
        if lost:
            self.anchor += max(error, 0.0)
        elif error < 0:
            self.anchor += max(error, -self.period_ns / 2)
        else:
            self.anchor += min(error, DRIFT * frames * self.period_ns)
        start = self.anchor + self.samples * self.period_ns
        self.samples += frames
        return (start + np.arange(frames) * self.period_ns).astype(np.int64)


class Microphone(Sensor):
    """An input device of PortAudio, opened for the session."""

    def __init__(self, name: str, config: AudioConfig):
        self.name = name
        self.config = config
        self._spec = SensorSpec("audio", config.sample_rate, config.channels, "int16")
        self._stream: Any = None
        self._blocks: collections.deque[tuple[int, np.ndarray, bool]] = collections.deque()
        self._lock = threading.Lock()
        self._closing = False
        self.device_name = ""

    @property
    def spec(self) -> SensorSpec:
        return self._spec

    async def open(self) -> None:
        await anyio.to_thread.run_sync(self._open)

    def _open(self) -> None:
        sd = _sounddevice()
        cfg = self.config
        try:
            device = sd.query_devices(cfg.device, "input")
        except (ValueError, sd.PortAudioError) as exc:
            raise SensorError(self.name, f"no input device {cfg.device!r} ({exc}); `lerec sensors --find` lists "
                              "them") from None
        self.device_name = device["name"]
        try:
            sd.check_input_settings(device=device["index"], channels=cfg.channels, dtype="int16",
                                    samplerate=cfg.sample_rate)
        except (ValueError, sd.PortAudioError) as exc:
            raise SettingsError(f"sensor {self.name!r}: device {self.device_name!r} does not record "
                                f"{cfg.channels} channel(s) at sample_rate {cfg.sample_rate} Hz "
                                f"({' '.join(str(exc).split())}); it takes up to {device['max_input_channels']} "
                                f"channel(s), default {device['default_samplerate']:g} Hz") from None
        try:
            self._stream = sd.InputStream(device=device["index"], samplerate=cfg.sample_rate, channels=cfg.channels,
                                          dtype="int16", blocksize=max(1, int(cfg.sample_rate * cfg.block_s)),
                                          callback=self._callback)
            self._stream.start()
        except sd.PortAudioError as exc:
            raise SensorError(self.name, f"could not start {self.device_name!r}: {exc}") from None

    def _callback(self, indata: np.ndarray, frames: int, times: Any, status: Any) -> None:
        # The block's last sample was captured before the callback ran: its first, a block's length earlier. The
        # host API's own capture times (inputBufferAdcTime) are not used: through ALSA's pulse plugin they put the
        # same block from 0.1 to 114 ms in the past from one run to the next. SampleClock takes the earliest.
        reported_ns = time.monotonic_ns() - int(frames * 1e9 / self.config.sample_rate)
        with self._lock:
            self._blocks.append((reported_ns, indata.copy(), bool(status.input_overflow)))

    async def batches(self) -> AsyncIterator[SampleBatch]:
        if self._stream is None:
            raise SensorError(self.name, "batches() called before open()")
        clock = SampleClock(self.config.sample_rate)
        warm_up_ns: int | None = None  # until then (from the first block on), blocks are dropped
        while True:
            await anyio.sleep(self.config.block_s)
            with self._lock:
                blocks = list(self._blocks)
                self._blocks.clear()
            if not blocks:
                if self._stream is not None and not self._stream.active and not self._closing:
                    raise SensorError(self.name, f"the input stream of {self.device_name!r} stopped (the device "
                                      "was disconnected?)")
                continue
            times, values = [], []
            for reported_ns, data, lost in blocks:
                if warm_up_ns is None:
                    warm_up_ns = reported_ns + int(WARM_UP_S * 1e9)
                if reported_ns < warm_up_ns:
                    clock.observe(reported_ns, len(data))
                    continue
                times.append(clock.block(reported_ns, len(data), lost))
                values.append(data)
            if times:
                yield SampleBatch(np.concatenate(times), np.concatenate(values))

    async def close(self) -> None:
        self._closing = True
        stream, self._stream = self._stream, None
        if stream is not None:
            await anyio.to_thread.run_sync(stream.close)
