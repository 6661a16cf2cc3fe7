"""Appending one episode at the end of a dataset: its frame rows, its videos and its row in ``meta/episodes``.

The one writer of the v3.0 layout, for recording (:class:`lerec.dataset.writing.writer.DatasetWriter`) and for building
a dataset from others (:class:`lerec.dataset.editing.assemble.DatasetAssembler`: merge, delete, split, re-encode). Each
part goes into the file its kind's last episode used unless the roll-over rules (:mod:`lerec.dataset.spec.format`)
start the next one. A recording writes every part as it comes, each file replaced whole or appended and fsync'd,
noting it in its :class:`~lerec.dataset.store.rollback.Rollback` first; a dataset built in a temporary folder
(``buffered``) holds the rows of the data file and of the ``meta/episodes`` file being filled and writes each when
the next one starts: besides them it keeps only the last episode row and running totals, whatever the episode count.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa

from lerec.dataset.spec import format as fmt
from lerec.dataset.spec.stats import StatsTotal
from lerec.dataset.store.atomic import RESUME_HINT, RETRY_HINT, raise_disk_error
from lerec.dataset.store.metadata import DatasetMeta
from lerec.dataset.store.rollback import Rollback
from lerec.dataset.store.tables import append_rows, write_data_file
from lerec.dataset.writing.episode_video import MovableEpisode
from lerec.encoding import fmp4

DATA_FILE_CACHE_BYTES = 32 * fmt.MIB  # the rows of the data file being filled stay in memory up to this


class EpisodeAppender:
    """Appends episodes' parts at the end of the dataset of ``meta``, choosing each file by the roll-over rules.

    ``previous`` (each method's argument) is the episode row the new episode follows (None for the first): where
    its parts went decides where the new one's go. ``rollback`` hears of every file before it changes.
    ``data_file_max_rows`` and ``episodes_file_max_rows`` (None: no limit) bound the rows of a file besides the
    size limits of info.json."""

    def __init__(self, meta: DatasetMeta, rollback: Rollback | None = None, *, buffered: bool = False,
                 data_file_max_rows: int | None = fmt.DATA_FILE_MAX_ROWS,
                 episodes_file_max_rows: int | None = fmt.EPISODES_FILE_MAX_ROWS):
        self.meta = meta
        self.rollback = rollback
        self.buffered = buffered
        self.data_file_max_rows = data_file_max_rows
        self.episodes_file_max_rows = episodes_file_max_rows
        # The data file filled last and its rows: (path, (inode, size, mtime) when written, rows). The stat tells a
        # file put back or cut since (a rollback, a repair) from the one written.
        self._cached: tuple[Path, tuple[int, int, int], pa.Table] | None = None
        self._buffer: list[pa.Table] = []  # buffered: rows of the data file at self._buffer_address
        self._buffer_address = fmt.FIRST_FILE
        self._buffer_bytes = 0
        # buffered: the episode rows are not kept in meta.episodes. The last one, the totals, the rows of the
        # meta/episodes file being filled, the columns (in order) and types of the files written so far.
        self.last: fmt.EpisodeRow | None = None
        self.episodes = 0
        self.frames = 0
        self.stats = StatsTotal()
        self._rows: list[dict[str, Any]] = []
        self._rows_address = fmt.FIRST_FILE
        self._columns: dict[str, pa.DataType | None] = {}
        self._files: dict[fmt.FileAddress, list[str]] = {}

    # --- data/ --------------------------------------------------------------------------------------------------
    def data_path(self, address: fmt.FileAddress) -> Path:
        return self.meta.path(address.data_path(self.meta.info.get("data_path") or fmt.DATA_PATH))

    def data_file(self, previous: fmt.EpisodeRow | None, nbytes: int, rows: int) -> fmt.FileAddress:
        """The data file for an episode of ``rows`` rows (``nbytes`` in memory)."""
        if previous is None:
            return fmt.FIRST_FILE
        address = previous.data
        if self.buffered:
            held = self._buffer_bytes if self._buffer and self._buffer_address == address else None
        else:
            path = self.data_path(address)
            held = path.stat().st_size if path.exists() else None
        held_rows = self._rows_in_file(address, previous) if self.data_file_max_rows is not None else 0
        if fmt.rolls_over(held, nbytes, self.meta.info["data_files_size_in_mb"] * fmt.MIB, held_rows, rows,
                          self.data_file_max_rows):
            return address.next(self.meta.info["chunks_size"])
        return address

    def append_rows(self, address: fmt.FileAddress, table: pa.Table) -> None:
        """Add an episode's rows at the end of the data file at ``address``."""
        if self.buffered:
            if self._buffer and self._buffer_address != address:
                self.flush_rows()
            self._buffer_address = address
            self._buffer.append(table)
            self._buffer_bytes += table.nbytes
            return
        path = self.data_path(address)
        cached = self._cached
        known = cached[2] if cached and cached[0] == path and _stat_key(path) == cached[1] else None
        if self.rollback is not None:
            self.rollback.before_replace(path)
        rows = append_rows(path, table, known)
        self._cached = (path, _stat_key(path), rows) if rows.nbytes <= DATA_FILE_CACHE_BYTES else None

    def flush_rows(self) -> None:
        """Write the held rows (buffered) into their data file."""
        if self._buffer:
            write_data_file(self.data_path(self._buffer_address),
                            pa.concat_tables(self._buffer, promote_options="default"))
        self._buffer, self._buffer_bytes = [], 0

    # --- videos/ ------------------------------------------------------------------------------------------------
    def video_path(self, key: str, address: fmt.FileAddress) -> Path:
        return self.meta.path(address.video_path(key, self.meta.info.get("video_path") or fmt.VIDEO_PATH))

    def video_location(self, key: str, previous: fmt.EpisodeRow | None, length: int) -> fmt.VideoLocation:
        """Where an episode's video of ``key`` goes unless its file rolls over: after the previous one's."""
        before = previous.videos.get(key) if previous is not None else None
        if before is None:
            return fmt.VideoLocation.at(fmt.FIRST_FILE, 0, length, self.meta.fps)
        return fmt.VideoLocation.at(before.address, before.end_frame(self.meta.fps), length, self.meta.fps)

    def append_video(self, key: str, episode: MovableEpisode, previous: fmt.EpisodeRow | None,
                     length: int) -> fmt.VideoLocation:
        """Append an episode's video of ``key`` (fsync'd); a file that would pass the size limit, or whose stream
        was encoded otherwise, rolls over to the next."""
        meta = self.meta
        location = self.video_location(key, previous, length)
        path = self.video_path(key, location.address)
        if previous is not None and key in previous.videos:
            held = path.stat().st_size if path.exists() else None
            if held is None or fmt.rolls_over(held, len(episode.fragment.fragment),
                                              meta.info["video_files_size_in_mb"] * fmt.MIB) \
                    or not fmp4.can_append(path, episode.fragment):
                location = fmt.VideoLocation.at(location.address.next(meta.info["chunks_size"]), 0, length, meta.fps)
                path = self.video_path(key, location.address)
        if self.rollback is not None:
            self.rollback.before_append(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            episode.append_to(path, location.start_frame(meta.fps), meta.fps)
        except OSError as exc:
            # In place (a recording, rolled back on failure) or into a tool's output built apart.
            raise_disk_error(path, exc, RESUME_HINT if self.rollback is not None else RETRY_HINT)
            raise
        return location

    # --- meta/episodes ------------------------------------------------------------------------------------------
    def episodes_file(self, previous: fmt.EpisodeRow | None) -> fmt.FileAddress:
        """The ``meta/episodes`` file for the row of the episode after ``previous``."""
        if previous is None:
            return fmt.FIRST_FILE
        address = previous.episodes
        if self.buffered:
            held = len(self._rows) if self._rows_address == address else 0
            if self.episodes_file_max_rows is not None and held >= self.episodes_file_max_rows:
                return address.next(self.meta.info["chunks_size"])
            return address
        if self.episodes_file_max_rows is not None \
                and self._rows_in_file(address, previous, episodes=True) >= self.episodes_file_max_rows:
            return address.next(self.meta.info["chunks_size"])
        return address

    def write_row(self, episode: fmt.EpisodeRow) -> fmt.EpisodeRow:
        """Add the episode's row to meta/episodes (replacing it, when it is there already) and write that file and
        stats.json (buffered: at :meth:`finish`). Returns the row."""
        meta = self.meta
        if self.buffered:
            row = episode.to_row()
            if self._rows and self._rows_address != episode.episodes:
                self._flush_episodes()
            self._rows_address = episode.episodes
            self._rows.append(row)
            self._columns.update((c, None) for c in row if c not in self._columns)
            self.last = episode
            self.episodes += 1
            self.frames += episode.length
            self.stats.add(episode.feature_stats())
            return episode
        replacing = len(meta.episodes) > episode.index
        if replacing:
            meta.episodes[episode.index] = episode
        else:
            meta.episodes.append(episode)
        address = episode.episodes
        if self.rollback is not None:
            self.rollback.before_replace(meta.path(address.episodes_path()))
            self.rollback.before_replace(meta.path(fmt.STATS_PATH))
        # Two files in two folders, each fsync'd: side by side, their waits on the disk overlap.
        with ThreadPoolExecutor(max_workers=2) as pool:
            saved = pool.submit(meta.save_episodes_file, address.chunk, address.file, None if replacing else episode)
            meta.save_stats()
            saved.result()
        return episode

    def finish(self) -> None:
        """Write what is held (buffered): the last data file's rows and meta/episodes file. Every meta/episodes
        file gets the columns of all, in the order they came (a column some episodes lack is null in theirs)."""
        self.flush_rows()
        if not self.buffered:
            return
        self._flush_episodes()
        columns = list(self._columns)
        for address, written in self._files.items():
            if written != columns:
                self.meta.rewrite_episodes_file(address, {c: self._columns[c] for c in columns})

    def _flush_episodes(self) -> None:
        """Write the held rows (buffered) as their meta/episodes file and forget them."""
        if not self._rows:
            return
        columns = [c for c in self._columns if any(c in r for r in self._rows)]
        table = self.meta.write_episodes_file(self._rows_address, [{c: r.get(c) for c in columns} for r in self._rows])
        for field in table.schema:
            if self._columns.get(field.name) is None or pa.types.is_null(self._columns[field.name]):
                self._columns[field.name] = field.type
        self._files[self._rows_address] = columns
        self._rows = []

    def _rows_in_file(self, address: fmt.FileAddress, previous: fmt.EpisodeRow, episodes: bool = False) -> int:
        """Frames (or, ``episodes``, rows) that the episodes up to ``previous`` have in the data (meta/episodes)
        file at ``address``, counted back from ``previous``: a file's episodes are consecutive."""
        held = 0
        for i in range(previous.index, -1, -1):
            row = self.meta.episodes[i]
            if (row.episodes if episodes else row.data) != address:
                break
            held += 1 if episodes else row.length
        return held


def first_frame_index(previous: fmt.EpisodeRow | None) -> int:
    """The global index of the first frame of the episode after ``previous``."""
    return previous.dataset_to_index if previous is not None else 0


def _stat_key(path: Path) -> tuple[int, int, int]:
    stat = os.stat(path)
    return stat.st_ino, stat.st_size, stat.st_mtime_ns
