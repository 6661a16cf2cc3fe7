"""The sensors of a recording session (``Recorder.create(..., sensors=...)``): opened with the cameras, declared in
the dataset, and for each episode a set of :class:`~lerec.recording.sensor_reader.EpisodeSamples` whose files are
placed by the episode's save (and taken out with it when it is abandoned)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import anyio
import anyio.abc

from lerec.dataset.sensors.sensor_store import StreamDecl, load_declared, place_episode, save_declared
from lerec.dataset.spec.format import SENSORS_META_PATH
from lerec.dataset.writing.episode_save import EpisodeSave
from lerec.dataset.writing.writer import PendingEpisode
from lerec.errors import SettingsError
from lerec.recording.clock import tick_offset_ns
from lerec.recording.sensor_reader import EpisodeSamples, SensorReader
from lerec.sensors.registry import check_sensor_name, create_sensor, sensor_type_of


def check_sensors(sensors: Mapping[str, Any] | None) -> dict[str, Any]:
    """Sensor configs by name, each of an installed sensor type (SettingsError before anything is opened)."""
    checked = {}
    for name, config in (sensors or {}).items():
        sensor_type_of(config)
        checked[check_sensor_name(name, "sensors")] = config
    return checked


class SessionSensors:
    """The session's sensor readers and the streams they record, by stream key."""

    def __init__(self, configs: Mapping[str, Any]):
        self.configs = dict(configs)
        self.readers: dict[str, SensorReader] = {}
        self.streams: dict[str, StreamDecl] = {}
        self.limiter = anyio.CapacityLimiter(max(1, len(self.configs)))  # their writes, off the event loop

    async def open(self, tg: anyio.abc.TaskGroup) -> None:
        """Start a reader per sensor in the session's task group; raise the first that cannot open. Call
        :meth:`wait_first_batches` before the first episode."""
        for name, config in self.configs.items():
            reader = SensorReader(name, create_sensor(name, config), config)
            error = await tg.start(reader.run)
            if error is not None:
                raise error
            self.readers[name] = reader
            decl = reader.decl()
            self.streams[decl.key] = decl

    async def wait_first_batches(self, timeout_s: float) -> None:
        """Every sensor has delivered samples (or the first silent one is raised): episodes start with them."""
        for reader in self.readers.values():
            await reader.wait_first_batch(timeout_s)

    def declare(self, root: Path, has_episodes: bool) -> None:
        """Write the dataset's stream declaration, or check that a resumed dataset declares these very streams."""
        declared = load_declared(root)
        if declared or has_episodes:
            if declared != self.streams:
                raise SettingsError(f"sensors: {root} records streams {sorted(declared) or 'none'}, this session "
                                    f"{sorted(self.streams) or 'none'} (or records them otherwise); --resume needs "
                                    "the same sensors")
            return
        save_declared(root, self.streams)

    def raise_if_failed(self) -> None:
        for reader in self.readers.values():
            reader.raise_if_failed()

    def episode(self, staging: Path, index: int, fps: int, ticks_done: Callable[[], int]) -> EpisodeSensors:
        """Attach a fresh :class:`EpisodeSamples` to every sensor for episode ``index``."""
        by_key = {}
        for name, reader in self.readers.items():
            decl = next(d for d in self.streams.values() if d.sensor == name)
            by_key[decl.key] = EpisodeSamples(reader, decl, staging, index, self.limiter, fps, ticks_done)
        return EpisodeSensors(by_key, self.streams, fps)


class EpisodeSensors:
    """One episode's samples of every sensor, by stream key."""

    def __init__(self, samples: Mapping[str, EpisodeSamples], streams: Mapping[str, StreamDecl], fps: int):
        self.samples, self.streams, self.fps = dict(samples), streams, fps

    def start_soon(self, tg: anyio.abc.TaskGroup) -> None:
        for samples in self.samples.values():
            tg.start_soon(samples.run)

    def start(self, t0_ns: int) -> None:
        """The episode's first tick."""
        for samples in self.samples.values():
            samples.start(t0_ns)

    def end(self, t0_ns: int, rows: int) -> None:
        """The episode took ``rows`` ticks: it ends where tick ``rows`` would be."""
        for samples in self.samples.values():
            samples.end(t0_ns + tick_offset_ns(rows, self.fps))

    def abort(self) -> None:
        """Detach every sensor and take out the staged files (an abandoned episode)."""
        for samples in self.samples.values():
            samples.abort()

    def save(self, save: EpisodeSave) -> None:
        """Add the episode's sensor files to its save, once every sensor has passed the episode's end."""
        if not self.samples:
            return
        writer = save.writer

        async def part(pending: PendingEpisode) -> None:
            for samples in self.samples.values():
                await samples.done.wait()
            staged = {key: s.staged for key, s in self.samples.items()}
            placed = await anyio.to_thread.run_sync(place_episode, writer.root, staged, self.streams, pending.index,
                                                    int(writer.meta.info["chunks_size"]),
                                                    writer.rollback.before_replace)
            with pending.lock:  # committed with the episode, the declaration with the first
                pending.written += [*placed, writer.meta.path(SENSORS_META_PATH)]

        save.add_part(part)
