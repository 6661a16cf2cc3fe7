"""One episode's save, driven with ``async with``: its steps in order, its threads, its rollback.

``async with EpisodeSave.open(writer, task) as save`` writes a new task now (before the episode's first tick);
then :meth:`~EpisodeSave.begin` once the episode's length is known, and the parts, each as soon as its input is
ready: :meth:`~EpisodeSave.write_frames`, :meth:`~EpisodeSave.add_video` per video feature,
:meth:`~EpisodeSave.stage_row`. They run side by side on worker threads (the row waits for the frames' place).
Leaving the block without an error waits for every part, then commits: info.json last, the episode durable.
Leaving it with an error or a cancel, or a part failing, cancels the other parts and abandons the episode: every
file it changed is put back byte for byte, on a worker thread shielded from cancellation, and the first error
surfaces once, the very object that was raised (grouped as anyio's task groups group it).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any

import anyio
import anyio.abc

from lerec.dataset.spec.stats import Stats
from lerec.dataset.writing.writer import DatasetWriter, EpisodeVideo, PendingEpisode
from lerec.errors import DatasetError

log = logging.getLogger(__name__)

Columns = tuple[Mapping[str, Any], Mapping[str, Stats]]  # the episode's columns, and statistics given with them


class EpisodeSave:
    """The save of the next episode of ``writer``; create it with :meth:`open`."""

    def __init__(self, writer: DatasetWriter, task: str, parts: anyio.abc.TaskGroup):
        self.writer = writer
        self.task = task
        self.pending: PendingEpisode | None = None
        self._parts = parts
        self._frames_placed = anyio.Event()

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, writer: DatasetWriter, task: str,
                   undo: Iterable[Callable[[], None]] = ()) -> AsyncIterator[EpisodeSave]:
        """Save the next episode of ``writer``, or abandon it. ``undo`` is run (on the abandoning thread, before
        the dataset's files are put back) to take out what the caller made for the episode, such as its
        encoders' files; what it raises is logged."""
        try:
            await anyio.to_thread.run_sync(writer.add_task, task)
            async with anyio.create_task_group() as parts:
                save = cls(writer, task, parts)
                yield save
            if save.pending is None:
                raise DatasetError("the episode ended before its save began; nothing was saved")
            await anyio.to_thread.run_sync(writer.commit_episode, save.pending)
        except BaseException:
            with anyio.CancelScope(shield=True):  # an interrupt must not leave the files half put back
                await anyio.to_thread.run_sync(_abandon, writer, tuple(undo))
            raise

    def begin(self, length: int, episode_columns: Mapping[str, Any] | None = None) -> PendingEpisode:
        """The episode has ``length`` frames; ``episode_columns`` are extra columns of its row."""
        if self.pending is not None:
            raise DatasetError(f"episode {self.pending.index} was begun already")
        self.pending = self.writer.begin_episode(self.task, length, episode_columns)
        return self.pending

    def write_frames(self, columns: Callable[[], Awaitable[Columns]]) -> None:
        """Write the episode's rows once ``columns()`` gives them (non-video features, as (length, ...) arrays)."""
        pending = self._begun()

        async def part() -> None:
            values, extra_stats = await columns()
            table = await anyio.to_thread.run_sync(self.writer.place_frames, pending, values, extra_stats)
            self._frames_placed.set()
            await anyio.to_thread.run_sync(self.writer.append_frames, pending, table)

        self._parts.start_soon(part)

    def add_video(self, key: str, video: Callable[[], Awaitable[EpisodeVideo]]) -> None:
        """Append the one-fragment MP4 that ``video()`` gives to the dataset's video file of ``key``."""
        pending = self._begun()

        async def part() -> None:
            episode_video = await video()
            await anyio.to_thread.run_sync(self.writer.add_video, pending, key, episode_video)

        self._parts.start_soon(part)

    def stage_row(self, video_stats: Callable[[], Awaitable[Mapping[str, Stats]]]) -> None:
        """Write the episode's row and stats once its frames are placed and ``video_stats()`` gives the videos'
        statistics, while the videos may still be appended; the commit then writes only info.json (and the row
        again if a video's file rolled over)."""
        pending = self._begun()

        async def part() -> None:
            await self._frames_placed.wait()
            stats = await video_stats()
            await anyio.to_thread.run_sync(self.writer.stage_row, pending, stats)

        self._parts.start_soon(part)

    def add_part(self, part: Callable[[PendingEpisode], Awaitable[None]]) -> None:
        """Run ``part(pending)`` beside the other parts: files lerec keeps beside the layout's (a sensor stream's),
        each noted in ``writer.rollback`` before it is placed, so that abandoning the save takes it out."""
        pending = self._begun()
        self._parts.start_soon(part, pending)

    def _begun(self) -> PendingEpisode:
        if self.pending is None:
            raise DatasetError("begin(length) the episode's save before adding its parts")
        return self.pending


def _abandon(writer: DatasetWriter, undo: tuple[Callable[[], None], ...]) -> None:
    """Every thread of the save has returned (its task group waited for them): nothing writes now. A failure
    here is logged, never raised over the error that ended the episode."""
    for step in undo:
        try:
            step()
        except Exception as exc:
            log.warning("%s", exc)
    try:
        writer.abandon_episode()
    except Exception as exc:
        log.warning("%s: undoing the unfinished save failed (%s); `lerec record --resume` repairs it", writer.root,
                    exc)
