"""The ``synthetic_imu`` and ``synthetic_audio`` sensors: deterministic samples, so a test checks every one.

Sample ``n`` of a synthetic sensor is captured at ``open time + n / rate`` and its values are a pure function of
``n`` (:func:`imu_values`, :func:`audio_values`): the IMU's channel 0 counts samples, the microphone plays a tone.
``event_every_s`` adds an event at every multiple of that period on the ``time.monotonic_ns`` clock (a spike on the
IMU's channel 1, a burst of :data:`BURST_S` on the microphone), so streams recorded side by side can be aligned.
Faults for tests: ``disconnect_after_s`` makes the device disappear (a SensorError), ``stall_after_s`` silences it.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator

import anyio
import attrs
import numpy as np

from lerec.errors import SensorError
from lerec.plugins.hookspecs import hookimpl
from lerec.sensors.base import SampleBatch, Sensor, SensorSpec
from lerec.sensors.registry_types import SensorType

AUDIO_RATES = (8000, 16000, 22050, 24000, 32000, 44100, 48000)  # what the synthetic microphone "supports"
MAX_IMU_HZ = 4000
EVENT_SPIKE = 100.0  # added to the IMU's channel 1 on the sample of an event
BURST_S = 0.005  # the microphone's event: a full-scale square burst this long
BURST_AMPLITUDE = 30000
TONE_AMPLITUDE = 8000


def _number(low: float, high: float, *, whole: bool = False, optional: bool = False):
    def check(_, attribute, value):
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not (low <= value <= high) or (whole and value != int(value)):
            kind = "an integer" if whole else "a number"
            raise ValueError(f"{attribute.name} must be {kind} from {low:g} to {high:g}, got {value!r}")
    return check


def _audio_rate(_, attribute, value):
    if value not in AUDIO_RATES or isinstance(value, bool):
        raise ValueError(f"{attribute.name} {value!r} Hz is not supported by the synthetic microphone; supported: "
                         f"{', '.join(map(str, AUDIO_RATES))}")


@attrs.define(frozen=True)
class SyntheticImuConfig:
    """An IMU that needs no hardware: ``hz`` samples a second of ``channels`` float32 values, delivered in
    batches every ``batch_s``. Channel 0 counts samples (mod 65536); the others are slow sines."""

    hz: float = attrs.field(default=200.0, validator=_number(1, MAX_IMU_HZ), metadata={"help": "samples per second"})
    channels: int = attrs.field(default=6, validator=_number(2, 64, whole=True),
                                metadata={"help": "values per sample (channel 0 counts samples)"})
    batch_s: float = attrs.field(default=0.01, validator=_number(0.001, 1.0),
                                 metadata={"help": "delivery period of a batch of samples"})
    event_every_s: float | None = attrs.field(default=None, validator=_number(0.01, 3600, optional=True),
                                              metadata={"help": "a spike on channel 1 at each multiple of this "
                                                        "period of the monotonic clock"})
    disconnect_after_s: float | None = attrs.field(default=None, validator=_number(0, 1e6, optional=True),
                                                   metadata={"help": "fault: the device disappears after this"})
    stall_after_s: float | None = attrs.field(default=None, validator=_number(0, 1e6, optional=True),
                                              metadata={"help": "fault: no samples after this"})


@attrs.define(frozen=True)
class SyntheticAudioConfig:
    """A microphone that needs no hardware: ``sample_rate`` int16 samples a second on ``channels`` channels, a
    ``tone_hz`` sine, delivered in blocks every ``batch_s``."""

    sample_rate: int = attrs.field(default=16000, validator=_audio_rate, metadata={"help": "samples per second"})
    channels: int = attrs.field(default=1, validator=_number(1, 8, whole=True), metadata={"help": "channels"})
    tone_hz: float = attrs.field(default=440.0, validator=_number(1, 20000), metadata={"help": "the tone played"})
    batch_s: float = attrs.field(default=0.02, validator=_number(0.001, 1.0),
                                 metadata={"help": "delivery period of a block of samples"})
    event_every_s: float | None = attrs.field(default=None, validator=_number(0.01, 3600, optional=True),
                                              metadata={"help": "a 5 ms burst at each multiple of this period of "
                                                        "the monotonic clock"})
    disconnect_after_s: float | None = attrs.field(default=None, validator=_number(0, 1e6, optional=True),
                                                   metadata={"help": "fault: the device disappears after this"})
    stall_after_s: float | None = attrs.field(default=None, validator=_number(0, 1e6, optional=True),
                                              metadata={"help": "fault: no samples after this"})


def imu_values(n: np.ndarray, channels: int, hz: float) -> np.ndarray:
    """IMU samples ``n`` (without events): channel 0 is ``n mod 65536``, channel c a sine of (c / 2) Hz."""
    t = n / hz
    values = np.empty((len(n), channels), dtype=np.float32)
    values[:, 0] = n % 65536
    for c in range(1, channels):
        values[:, c] = np.sin(2 * math.pi * (c / 2) * t)
    return values


def audio_values(n: np.ndarray, channels: int, rate: int, tone_hz: float) -> np.ndarray:
    """Microphone samples ``n`` (without events): the tone, the same on every channel."""
    tone = np.rint(TONE_AMPLITUDE * np.sin(2 * math.pi * tone_hz * (n / rate))).astype(np.int16)
    return np.repeat(tone[:, None], channels, axis=1)


def event_mask(timestamps_ns: np.ndarray, period_ns: int, span_ns: int) -> np.ndarray:
    """Samples captured within ``span_ns`` after a multiple of ``period_ns`` of the clock."""
    return timestamps_ns % period_ns < span_ns


class SyntheticSensor(Sensor):
    """Delivers sample ``n`` at ``open time + n / rate``, in batches every ``batch_s``."""

    def __init__(self, name: str, config: SyntheticImuConfig | SyntheticAudioConfig):
        self.name = name
        self.config = config
        audio = isinstance(config, SyntheticAudioConfig)
        self.rate = float(config.sample_rate if audio else config.hz)
        self._spec = SensorSpec("audio" if audio else "numeric", self.rate, config.channels,
                                "int16" if audio else "float32")
        self._opened_ns: int | None = None

    @property
    def spec(self) -> SensorSpec:
        return self._spec

    async def open(self) -> None:
        self._opened_ns = time.monotonic_ns()

    async def close(self) -> None:
        self._opened_ns = None

    async def batches(self) -> AsyncIterator[SampleBatch]:
        if self._opened_ns is None:
            raise SensorError(self.name, "batches() called before open()")
        cfg, opened = self.config, self._opened_ns
        sent = 0
        while True:
            await anyio.sleep(cfg.batch_s)
            elapsed_s = (time.monotonic_ns() - opened) / 1e9
            if cfg.disconnect_after_s is not None and elapsed_s >= cfg.disconnect_after_s:
                raise SensorError(self.name, f"the device disappeared (disconnect_after_s={cfg.disconnect_after_s})")
            if cfg.stall_after_s is not None and elapsed_s >= cfg.stall_after_s:
                continue
            due = int(elapsed_s * self.rate) + 1  # samples captured by now
            if due <= sent:
                continue
            yield self._batch(sent, due)
            sent = due

    def _batch(self, first: int, stop: int) -> SampleBatch:
        cfg = self.config
        n = np.arange(first, stop, dtype=np.int64)
        times = self._opened_ns + np.floor(n * (1e9 / self.rate)).astype(np.int64)
        if isinstance(cfg, SyntheticAudioConfig):
            values = audio_values(n, cfg.channels, cfg.sample_rate, cfg.tone_hz)
            if cfg.event_every_s:
                burst = event_mask(times, int(cfg.event_every_s * 1e9), int(BURST_S * 1e9))
                values[burst] = np.where((n[burst] // 4) % 2 == 0, BURST_AMPLITUDE, -BURST_AMPLITUDE)[:, None]
        else:
            values = imu_values(n, cfg.channels, cfg.hz)
            if cfg.event_every_s:
                spike = event_mask(times, int(cfg.event_every_s * 1e9), int(1e9 / cfg.hz))  # one sample
                values[spike, 1] += EVENT_SPIKE
        return SampleBatch(times, values)


@hookimpl
def lerec_sensor_types() -> list[SensorType]:
    return [
        SensorType("synthetic_imu", SyntheticImuConfig, SyntheticSensor,
                   description="deterministic IMU samples at hz (channel 0 counts samples), no hardware needed"),
        SensorType("synthetic_audio", SyntheticAudioConfig, SyntheticSensor,
                   description="a deterministic int16 tone at sample_rate, no hardware needed"),
    ]
