"""What a sensor is to lerec: the one stream it declares, batches of samples with their capture times, an async
open/close. A sensor runs at its own rate (an IMU at 200 Hz, a microphone at 16 kHz), not at the dataset's fps."""

from __future__ import annotations

import abc
import math
from collections.abc import AsyncIterator
from typing import Literal

import attrs
import numpy as np

SensorKind = Literal["numeric", "audio"]
MAX_CHANNELS = 64
NUMERIC_DTYPES = ("float32", "float64", "int16", "int32")
AUDIO_DTYPES = ("int16",)


@attrs.define(frozen=True)
class SensorSpec:
    """The stream of a sensor. ``kind`` "numeric" is stored in parquet (an IMU, a force/torque sensor), "audio" is
    encoded losslessly (FLAC); ``rate_hz`` is the nominal sample rate, ``dtype`` the values' type; ``names`` name
    the channels (optional)."""

    kind: SensorKind
    rate_hz: float
    channels: int
    dtype: str = "float32"
    names: tuple[str, ...] | None = attrs.field(default=None, converter=lambda v: None if v is None else tuple(v))

    def __attrs_post_init__(self):
        if self.kind not in ("numeric", "audio"):
            raise ValueError(f"sensor kind must be 'numeric' or 'audio', got {self.kind!r}")
        if not (isinstance(self.rate_hz, (int, float)) and math.isfinite(self.rate_hz) and self.rate_hz > 0):
            raise ValueError(f"rate_hz must be a number above 0, got {self.rate_hz!r}")
        if not (isinstance(self.channels, int) and 1 <= self.channels <= MAX_CHANNELS):
            raise ValueError(f"channels must be an integer from 1 to {MAX_CHANNELS}, got {self.channels!r}")
        allowed = AUDIO_DTYPES if self.kind == "audio" else NUMERIC_DTYPES
        if self.dtype not in allowed:
            raise ValueError(f"a {self.kind} sensor's dtype must be one of {', '.join(allowed)}, got {self.dtype!r}")
        if self.kind == "audio" and self.rate_hz != int(self.rate_hz):
            raise ValueError(f"an audio sample rate is a whole number of Hz, got {self.rate_hz!r}")
        if self.names is not None and len(self.names) != self.channels:
            raise ValueError(f"names has {len(self.names)} entries for {self.channels} channels")


@attrs.define(frozen=True)
class SampleBatch:
    """Samples in capture order: ``timestamps_ns`` (int64 ``[n]``, the ``time.monotonic_ns`` clock or the device's
    mapped onto it) and ``values`` (``[n, channels]`` of the spec's dtype). The recorder owns the arrays once
    yielded: a sensor must not reuse them."""

    timestamps_ns: np.ndarray
    values: np.ndarray

    def __attrs_post_init__(self):
        if self.timestamps_ns.ndim != 1 or self.values.ndim != 2 or len(self.values) != len(self.timestamps_ns):
            raise ValueError(f"a batch holds timestamps [n] and values [n, channels]; got "
                             f"{self.timestamps_ns.shape} and {self.values.shape}")


def sensor_key(name: str, spec: SensorSpec) -> str:
    """The key a sensor's stream is stored under: ``observation.audio.<name>`` (as LeRobot's audio work names it)
    or ``observation.sensors.<name>``."""
    return f"observation.audio.{name}" if spec.kind == "audio" else f"observation.sensors.{name}"


class Sensor(abc.ABC):
    """A source of samples. Blocking SDK calls belong in ``anyio.to_thread.run_sync``, never on the loop.

    Lifecycle: ``await open()``, then ``spec`` is valid and ``batches()`` yields sample batches until the sensor
    is closed or fails (raise :class:`lerec.errors.SensorError`); ``await close()`` always runs.
    """

    name: str

    @property
    @abc.abstractmethod
    def spec(self) -> SensorSpec:
        """The sensor's stream, known after ``open()``."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect to the device and start sampling."""

    @abc.abstractmethod
    def batches(self) -> AsyncIterator[SampleBatch]:
        """Yield batches as the device delivers them, in capture order, for as long as the sensor is open."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop sampling and release the device. Safe to call twice or after a failed open."""
