"""Sensors running for a whole session, each handing its samples to the episode being recorded.

A :class:`SensorReader` owns one sensor inside the recorder's task group; while an episode records, its batches go
to that episode's :class:`EpisodeSamples`, which keeps the samples captured from the episode's first tick to its
end and writes them, as they come, into the staging folder (memory stays bounded). A sensor that fails or goes
silent ends the episode as a stalled camera does (a SensorError; the episode is abandoned, the saved ones kept).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import numpy as np
from anyio.abc import TaskStatus

from lerec.dataset.sensors.sensor_store import StreamDecl
from lerec.dataset.sensors.sensor_streams import EpisodeStreamWriter
from lerec.encoding.audio import CODEC
from lerec.errors import SensorError, SettingsError
from lerec.recording.clock import tick_offset_ns
from lerec.sensors.base import SampleBatch, Sensor, sensor_key
from lerec.sensors.registry import sensor_type_of

log = logging.getLogger(__name__)

SILENCE_S = 2.0  # a sensor without a batch for this long (or 10 of its periods) during an episode has stalled
_END = object()  # wakes an episode's writer when the episode's end becomes known


class SensorReader:
    """Owns one sensor inside the recorder's task group."""

    def __init__(self, name: str, sensor: Sensor, config: Any):
        self.name = name
        self.sensor = sensor
        self.config = config
        self.received = 0
        self.error: SensorError | SettingsError | None = None  # its failure; it stays failed for the session
        self.episode: EpisodeSamples | None = None  # the episode taking its samples
        self._first_batch = anyio.Event()
        self._last_ns: int | None = None  # the capture time of the last sample received

    def decl(self) -> StreamDecl:
        """How the sensor's stream is declared in the dataset (known once it is open)."""
        spec = self.sensor.spec
        return StreamDecl(sensor_key(self.name, spec), self.name, sensor_type_of(self.config).name, spec.kind,
                          float(spec.rate_hz), spec.channels, spec.dtype, spec.names,
                          CODEC if spec.kind == "audio" else None)

    async def run(self, *, task_status: TaskStatus = anyio.TASK_STATUS_IGNORED) -> None:
        """Open the sensor, then pass its batches on until cancelled or the sensor fails."""
        try:
            await self.sensor.open()
            self.sensor.spec  # noqa: B018 - a sensor that cannot say what it records failed to open
        except Exception as exc:
            task_status.started(self._as_error(exc, "could not open"))
            await self._close()
            return
        task_status.started(None)
        try:
            async for batch in self.sensor.batches():
                self._check(batch)
                self.received += len(batch.timestamps_ns)
                self._first_batch.set()
                if self.episode is not None:
                    self.episode.offer(batch)
            raise SensorError(self.name, "stopped delivering samples (its batch stream ended)")
        except Exception as exc:
            self.error = self._as_error(exc, "failed")
            log.debug("%s", self.error)  # the episode (or the next one) raises it, once
            if self.episode is not None:
                self.episode.offer(self.error)
            self._first_batch.set()
        finally:
            await self._close()

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error

    def _check(self, batch: SampleBatch) -> None:
        """A batch as the sensor's spec says: [n, channels] values, capture times strictly increasing."""
        spec, times = self.sensor.spec, batch.timestamps_ns
        if batch.values.shape[1] != spec.channels or times.dtype.kind not in "iu":
            raise SensorError(self.name, f"a batch of {batch.values.shape[1]} channel(s) with {times.dtype} times; "
                              f"its spec says {spec.channels} channel(s), int64 ns")
        if len(times) and ((self._last_ns is not None and times[0] <= self._last_ns) or (np.diff(times) <= 0).any()):
            raise SensorError(self.name, "capture times do not strictly increase")
        if len(times):
            self._last_ns = int(times[-1])

    async def wait_first_batch(self, timeout_s: float) -> None:
        """Wait until the sensor has delivered samples (a stream may start late: PulseAudio's does by half a
        second), or raise its error, or one naming its silence."""
        with anyio.move_on_after(timeout_s):
            await self._first_batch.wait()
        self.raise_if_failed()
        if not self.received:
            raise SensorError(self.name, f"no samples within {timeout_s:g} s of opening it")

    def _as_error(self, exc: Exception, what: str) -> SensorError | SettingsError:
        if isinstance(exc, (SensorError, SettingsError)):  # a rate the device refuses is a setting's fault
            return exc
        error = SensorError(self.name, f"{what}: {type(exc).__name__}: {exc}")
        error.__cause__ = exc
        return error

    async def _close(self) -> None:
        with anyio.CancelScope(shield=True):
            try:
                await self.sensor.close()
            except Exception as exc:
                log.warning("sensor %r: error while closing: %s", self.name, exc)


class EpisodeSamples:
    """One episode's samples of one sensor: attached to its reader until :meth:`run` ends. ``ticks_done()`` is the
    number of ticks the episode has taken: samples before the next tick's time belong to it whatever ends it, the
    later ones wait (a tick at most) until that is known."""

    def __init__(self, reader: SensorReader, decl: StreamDecl, staging: Path, index: int,
                 limiter: anyio.CapacityLimiter, fps: int, ticks_done: Callable[[], int],
                 silence_s: float | None = None):
        self.reader, self.decl, self.staging, self.index = reader, decl, Path(staging), index
        self.limiter, self.fps, self.ticks_done = limiter, fps, ticks_done
        self.silence_s = silence_s if silence_s is not None else max(SILENCE_S, 10 / decl.rate_hz)
        self._send, self._receive = anyio.create_memory_object_stream(math.inf)
        self._started = anyio.Event()
        self.t0_ns: int | None = None
        self.end_ns: int | None = None
        self.writer: EpisodeStreamWriter | None = None
        self.staged: list[Path] | None = None
        self.done = anyio.Event()
        self._held: list[SampleBatch] = []
        reader.episode = self

    def offer(self, item: SampleBatch | SensorError) -> None:
        self._send.send_nowait(item)

    def start(self, t0_ns: int) -> None:
        """The episode's first tick: samples from it on are kept."""
        self.t0_ns = t0_ns
        self._started.set()

    def end(self, end_ns: int) -> None:
        """The episode's end: samples before it are kept; :meth:`run` ends once the sensor has passed it."""
        self.end_ns = end_ns
        self._started.set()
        self._send.send_nowait(_END)

    async def run(self) -> None:
        """Write the episode's samples until the sensor has passed its end; raise the sensor's error, or one
        naming its silence."""
        try:
            await self._started.wait()
            if self.t0_ns is None:
                return  # the episode ended before its first tick
            self.writer = await anyio.to_thread.run_sync(EpisodeStreamWriter, self.staging, self.decl, self.index,
                                                         self.t0_ns, limiter=self.limiter)
            while not await self._take(await self._queued()):
                pass
            self.staged = await anyio.to_thread.run_sync(self.writer.close, limiter=self.limiter)
            self.done.set()
        finally:
            self.reader.episode = None

    async def _queued(self) -> list[Any]:
        """The next item, and what queued beside it (written at once)."""
        with anyio.move_on_after(self.silence_s):
            items = [await self._receive.receive()]
            while True:
                try:
                    items.append(self._receive.receive_nowait())
                except anyio.WouldBlock:
                    return items
        raise SensorError(self.reader.name, f"no samples for {self.silence_s:g} s during episode {self.index} "
                          "(the sensor stalled or was disconnected)")

    async def _take(self, items: list[Any]) -> bool:
        """Write what belongs to the episode; True once the sensor has passed its end."""
        for item in items:
            if isinstance(item, SensorError):
                raise item
            if isinstance(item, SampleBatch) and len(item.timestamps_ns):
                self._held.append(item)
        if not self._held:
            return False
        times = np.concatenate([b.timestamps_ns for b in self._held])
        values = np.concatenate([b.values for b in self._held])
        bound = self.end_ns if self.end_ns is not None else self.t0_ns + tick_offset_ns(self.ticks_done(), self.fps)
        ready = times < bound
        keep = ready & (times >= self.t0_ns)
        if keep.any():
            await anyio.to_thread.run_sync(self.writer.write, times[keep], values[keep], limiter=self.limiter)
        self._held = [] if ready.all() or self.end_ns is not None else [SampleBatch(times[~ready], values[~ready])]
        return self.end_ns is not None and int(times[-1]) >= self.end_ns

    def abort(self) -> None:
        """Detach from the sensor and take out the episode's staged files (an abandoned episode)."""
        if self.reader.episode is self:
            self.reader.episode = None
        if self.writer is not None:
            self.writer.abort()

