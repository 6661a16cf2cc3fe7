"""Saving recorded episodes into a LeRobot v3.0 dataset, durably, one episode at a time.

Order of writes for an episode: a new task into tasks.parquet when the episode begins; then, in any order (the
recorder does them while encoders still flush), the data parquet replaced, video fragments appended (fsync),
the episodes parquet and stats.json replaced (written again if a video's file rolled over); info.json last.
info.json's ``total_episodes`` is the commit: opening a dataset for writing cuts anything beyond it that a crash
left behind (:meth:`DatasetWriter.resume`). A save that fails or is interrupted is abandoned: every file it changed
is put back byte for byte (:mod:`lerec.dataset.rollback`).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lerec.dataset import layout
from lerec.dataset.atomic import raise_disk_error, remove_stale_temps
from lerec.dataset.meta_schema import read_parquet
from lerec.dataset.metadata import DatasetMeta, new_info
from lerec.dataset.rollback import Rollback
from lerec.dataset.stats import Stats, numeric_stats
from lerec.dataset.tables import append_rows, frame_table, write_data_file
from lerec.encoding import fmp4
from lerec.encoding.probe import probe_stream_info
from lerec.errors import DatasetError

log = logging.getLogger(__name__)

DATA_FILE_CACHE_BYTES = 32 * layout.MIB  # the rows of the data file being filled stay in memory up to this


@attrs.define
class EpisodeVideo:
    """One stream of an episode, encoded into a one-fragment MP4, with its statistics."""

    path: Path
    stats: Stats


@attrs.define
class PendingEpisode:
    """An episode being saved, filled in part by part until :meth:`DatasetWriter.commit_episode`.
    ``episode_columns`` are extra columns of its row: lerec's provenance, which camera frame each row holds
    (``lerec/<key>/camera_seq``) and how old it was at its tick (``lerec/<key>/capture_age_us``)."""

    index: int
    task: str
    length: int
    previous: Mapping[str, Any] | None
    episode_columns: dict[str, Any]
    data_row: dict[str, Any] | None = None
    frame_stats: dict[str, Stats] = attrs.field(factory=dict)
    video_rows: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    videos: dict[str, EpisodeVideo] = attrs.field(factory=dict)
    staged_row: dict[str, Any] | None = None
    frames_written: bool = False


class DatasetWriter:
    """Appends episodes to the dataset at ``meta.root``."""

    def __init__(self, meta: DatasetMeta):
        self.meta = meta
        self.root = meta.root
        self.staging = meta.path(layout.STAGING_DIR)
        self.pending: PendingEpisode | None = None  # an episode begun and not yet committed or abandoned
        self.data_file_max_rows = layout.DATA_FILE_MAX_ROWS
        self.episodes_file_max_rows = layout.EPISODES_FILE_MAX_ROWS
        self._last_data_file: tuple[Path, pa.Table] | None = None  # the rows of the data file appended last
        self.rollback = Rollback(self.root / layout.ROLLBACK_DIR)  # what the episode being saved changed

    @classmethod
    def create(
        cls, root: str | Path, fps: int, features: Mapping[str, Any], robot_type: str | None = None,
        use_videos: bool = True,
    ) -> DatasetWriter:
        root = Path(root)
        if (root / layout.INFO_PATH).exists():
            raise DatasetError(f"{root} already holds a dataset; pass resume=True (--resume) to add episodes to it")
        if root.exists() and any(p.name != ".lerec" for p in root.iterdir()):
            raise DatasetError(f"{root} exists and is not empty; choose a new folder")
        meta = DatasetMeta(root, new_info(fps, features, robot_type, use_videos))
        layout.check_info_paths(meta.info, "features")
        writer = cls(meta)
        try:
            writer.staging.mkdir(parents=True, exist_ok=True)
            meta.save_tasks()
            meta.save_stats()
            meta.save_info()
        except BaseException as exc:
            # Nothing but lerec's own folder was there: take out what was written, so that a retry can start.
            shutil.rmtree(root / "meta", ignore_errors=True)
            writer.remove_staging()
            if isinstance(exc, OSError):
                raise_disk_error(root, exc)
            raise
        return writer

    @classmethod
    def resume(cls, root: str | Path) -> DatasetWriter:
        """Open an existing dataset to add episodes, cutting what an interrupted save left beyond info.json."""
        from lerec.dataset.depth_conversion import finish_pending_conversion

        finish_pending_conversion(root)  # a depth conversion a crash interrupted after its commit point
        meta = DatasetMeta.load(root, uncommitted=True)
        writer = cls(meta)
        writer.repair()
        writer.staging.mkdir(parents=True, exist_ok=True)
        return writer

    def repair(self) -> None:
        """Make every file agree with info.json's ``total_episodes``."""
        meta = self.meta
        self._last_data_file = None
        committed = int(meta.info["total_episodes"])
        # Every file the repair may rewrite, cut or delete, confined to the root before any is touched.
        files = {(r["meta/episodes/chunk_index"], r["meta/episodes/file_index"]) for r in meta.episodes}
        for chunk, file in files:
            meta.path(layout.EPISODES_PATH.format(chunk_index=chunk, file_index=file))
        meta.path(layout.STATS_PATH)
        data_files = layout.find(self.root, layout.DATA_FILES)
        video_files = {key: layout.find(self.root, layout.VIDEO_FILES.format(video_key=key)) for key in meta.video_keys}
        if len(meta.episodes) > committed:
            log.warning("%s: dropping %d episode(s) an interrupted save left unfinished", self.root,
                        len(meta.episodes) - committed)
            meta.episodes = [r for r in meta.episodes if r["episode_index"] < committed]
            for chunk, file in files:
                meta.save_episodes_file(chunk, file)
        meta.save_stats(only_if_changed=True)  # a crash may have written it for an episode it never committed
        self.forget_uncommitted_tasks()
        total_frames = sum(int(r["length"]) for r in meta.episodes)
        for path in data_files:
            table = read_parquet(path)
            if "index" not in table.column_names or not pa.types.is_integer(table.column("index").type):
                raise DatasetError(f"{path}: no integer column 'index'")
            if len(table) and max(table.column("index").to_pylist()) >= total_frames:
                kept = table.filter(pc.less(table.column("index"), total_frames))
                if len(kept):
                    write_data_file(path, kept)
                else:
                    path.unlink()
        for key in meta.video_keys:
            per_file: dict[tuple[int, int], int] = {}
            for row in meta.episodes:
                loc = (row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"])
                per_file[loc] = per_file.get(loc, 0) + 1
            for path in video_files[key]:
                loc = layout.file_location(path)
                if loc is None:
                    continue  # not a file lerec or LeRobot names so: not ours to cut
                if loc not in per_file:
                    path.unlink()
                elif fmp4.truncate_to_fragments(path, per_file[loc]):
                    log.warning("%s: cut an unfinished episode from %s", self.root, path)
        self._remove_leftovers()

    def _remove_leftovers(self) -> None:
        """Delete what interrupted writes leave beside the dataset's files: temporary files, the staging and
        rollback folders, a depth transcode's work folders."""
        from lerec.dataset.depth_conversion import remove_transcode_leftovers

        root = self.root
        remove_stale_temps([layout.confine(root, "meta"), *layout.find(root, "meta/episodes/chunk-*"),
                            *layout.find(root, "data/chunk-*")])
        remove_transcode_leftovers(root)
        shutil.rmtree(root / layout.ROLLBACK_DIR, ignore_errors=True)
        shutil.rmtree(self.staging, ignore_errors=True)

    def abandon_episode(self) -> None:
        """After a failed or interrupted save, or an episode that ended before its save: put every file it changed
        back byte for byte (renames and truncations, which need no space), keeping the dataset open for the next
        one. Call it only once no thread of the save is running."""
        self.pending = None
        self._last_data_file = None
        try:
            self.rollback.restore()
        except OSError as exc:
            log.warning("%s: putting back the files an abandoned save changed failed (%s); cutting instead",
                        self.root, exc)
            self.repair()
        else:
            self.meta = DatasetMeta.load(self.root)  # the save's rows and tasks were in memory too
        shutil.rmtree(self.staging, ignore_errors=True)
        with contextlib.suppress(OSError):  # a full disk: the next episode reports it
            self.staging.mkdir(parents=True, exist_ok=True)

    def remove_staging(self) -> None:
        """Delete the staging folder (and ``.lerec`` when nothing else, such as a conversion journal, is in it)."""
        shutil.rmtree(self.staging, ignore_errors=True)
        try:
            self.staging.parent.rmdir()
        except OSError:
            pass

    def begin_episode(self, task: str, length: int, episode_columns: Mapping[str, Any] | None = None) -> PendingEpisode:
        """Start saving the next episode: then :meth:`write_frames` (or :meth:`place_frames` and
        :meth:`append_frames`) once and :meth:`add_video` per video feature, in any order and from different
        threads, optionally :meth:`stage_row`, then :meth:`commit_episode`. After a failure,
        :meth:`abandon_episode`."""
        if length <= 0:
            raise DatasetError("an episode needs at least one frame")
        meta = self.meta
        if self.pending is not None:
            raise DatasetError(f"episode {self.pending.index} is still being saved; commit or abandon it first")
        previous = meta.episodes[-1] if meta.episodes else None
        self.add_task(task)  # a no-op when the recorder added it before the episode's first tick
        self.pending = PendingEpisode(len(meta.episodes), task, length, previous, dict(episode_columns or {}))
        return self.pending

    def add_task(self, task: str) -> None:
        """Add ``task`` to meta/tasks.parquet now, if new: before an episode starts rather than while it is being
        saved. Until an episode with it is committed, :meth:`repair` takes it out again."""
        if task not in self.meta.tasks:
            self.rollback.before_replace(self.meta.path(layout.TASKS_PATH))
            self.meta.task_index(task)
            self.meta.save_tasks()

    def forget_uncommitted_tasks(self) -> None:
        """Take out of meta/tasks.parquet the tasks added for episodes that were never committed."""
        committed = int(self.meta.info.get("total_tasks", len(self.meta.tasks)))
        if len(self.meta.tasks) > committed:
            self.meta.tasks = self.meta.tasks[:committed]
            self.meta.save_tasks()

    def write_frames(self, pending: PendingEpisode, columns: Mapping[str, Any],
                     extra_stats: Mapping[str, Stats] | None = None) -> None:
        """Append the episode's rows to the data parquet (non-video features, as (length, ...) arrays)."""
        self.append_frames(pending, self.place_frames(pending, columns, extra_stats))

    def place_frames(self, pending: PendingEpisode, columns: Mapping[str, Any],
                     extra_stats: Mapping[str, Stats] | None = None) -> pa.Table:
        """The episode's rows as a table, with where they go and their statistics noted in ``pending`` (all
        :meth:`stage_row` needs); :meth:`append_frames` then writes them."""
        meta = self.meta
        previous, length = pending.previous, pending.length
        from_index = int(previous["dataset_to_index"]) if previous else 0
        columns = dict(columns)
        columns["timestamp"] = np.arange(length, dtype=np.float32) / np.float32(meta.fps)
        columns["frame_index"] = np.arange(length, dtype=np.int64)
        columns["episode_index"] = np.full(length, pending.index, dtype=np.int64)
        columns["index"] = np.arange(from_index, from_index + length, dtype=np.int64)
        columns["task_index"] = np.full(length, meta.tasks.index(pending.task), dtype=np.int64)
        table = frame_table(columns, meta.features)
        chunk, file = self._data_file(previous, table.nbytes, length)
        pending.data_row = {"data/chunk_index": chunk, "data/file_index": file,
                            "dataset_from_index": from_index, "dataset_to_index": from_index + length}
        pending.frame_stats = {key: numeric_stats(np.asarray(v).reshape(length, -1))
                               for key, v in columns.items() if meta.features[key]["dtype"] not in ("image", "video")}
        pending.frame_stats.update(extra_stats or {})
        return table

    def append_frames(self, pending: PendingEpisode, table: pa.Table) -> None:
        """Write the rows :meth:`place_frames` made into the data parquet file it chose."""
        row = pending.data_row
        path = self.meta.path(layout.DATA_PATH.format(chunk_index=row["data/chunk_index"],
                                                      file_index=row["data/file_index"]))
        cached = self._last_data_file
        self.rollback.before_replace(path)
        rows = append_rows(path, table, cached[1] if cached and cached[0] == path else None)
        self._last_data_file = (path, rows) if rows.nbytes <= DATA_FILE_CACHE_BYTES else None
        pending.frames_written = True

    def add_video(self, pending: PendingEpisode, key: str, video: EpisodeVideo) -> None:
        """Append one stream's one-fragment MP4 to its dataset video file (fsync'd)."""
        pending.video_rows[key] = self._append_video(key, video, pending.previous, pending.length)
        pending.videos[key] = video

    def stage_row(self, pending: PendingEpisode, video_stats: Mapping[str, Stats]) -> None:
        """Write the episode's row and stats before its videos are appended (while encoders flush), with
        each video placed where the previous episode's ended. That is where it goes unless its file rolls over
        by size; :meth:`commit_episode` then writes the row again. Needs :meth:`place_frames` done."""
        locations = {key: self._video_location(key, pending.previous, pending.length) for key in self.meta.video_keys}
        pending.staged_row = self._write_row(pending, locations, video_stats)

    def commit_episode(self, pending: PendingEpisode) -> dict[str, Any]:
        """Write the episode's row and stats (unless staged where the videos went) and, last, info.json:
        the commit. Returns the row."""
        meta = self.meta
        missing = [key for key in meta.video_keys if key not in pending.videos]
        if not pending.frames_written or missing:
            raise DatasetError(f"episode {pending.index} is incomplete: "
                               + (f"no video for {missing}" if missing else "its frames were not written"))
        row = pending.staged_row
        if row is None or any(row[column] != value for location in pending.video_rows.values()
                              for column, value in location.items()):
            row = self._write_row(pending, pending.video_rows,
                                  {key: video.stats for key, video in pending.videos.items()})
        meta.save_info()
        self.pending = None
        self.rollback.discard()
        for video in pending.videos.values():
            video.path.unlink(missing_ok=True)
        return row

    def _write_row(self, pending: PendingEpisode, video_rows: Mapping[str, Mapping[str, Any]],
                   video_stats: Mapping[str, Stats]) -> dict[str, Any]:
        """Add (or replace) the episode's row in meta/episodes; write stats.json."""
        meta = self.meta
        row: dict[str, Any] = {"episode_index": pending.index, "tasks": [pending.task], "length": pending.length}
        row.update(pending.episode_columns)
        for key in meta.video_keys:
            row.update(video_rows[key])
        row.update(pending.data_row)
        stats = {**pending.frame_stats, **video_stats}
        for key, feature_stats in stats.items():
            for name, value in feature_stats.items():
                row[f"stats/{key}/{name}"] = np.asarray(value).tolist()
        ep_chunk, ep_file = self._episodes_file(pending.previous)
        row["meta/episodes/chunk_index"], row["meta/episodes/file_index"] = ep_chunk, ep_file
        replacing = len(meta.episodes) > pending.index  # staged before: replace it
        if replacing:
            meta.episodes[pending.index] = row
        else:
            meta.episodes.append(row)
        self.rollback.before_replace(self.meta.path(layout.EPISODES_PATH.format(chunk_index=ep_chunk, file_index=ep_file)))
        self.rollback.before_replace(self.meta.path(layout.STATS_PATH))
        # Two files in two folders, each fsync'd: side by side, their waits on the disk overlap.
        with ThreadPoolExecutor(max_workers=2) as pool:
            episodes = pool.submit(meta.save_episodes_file, ep_chunk, ep_file, None if replacing else row)
            meta.save_stats()
            episodes.result()
        return row

    def _data_file(self, previous: Mapping[str, Any] | None, nbytes: int, rows: int) -> tuple[int, int]:
        if previous is None:
            return 0, 0
        chunk, file = int(previous["data/chunk_index"]), int(previous["data/file_index"])
        path = self.meta.path(layout.DATA_PATH.format(chunk_index=chunk, file_index=file))
        limit = self.meta.info["data_files_size_in_mb"] * layout.MIB
        held = self._rows_in_file("data", chunk, file, before=int(previous["episode_index"]) + 1)
        if path.exists() and (path.stat().st_size + nbytes > limit or held + rows > self.data_file_max_rows):
            return layout.next_file_index(chunk, file, self.meta.info["chunks_size"])
        return chunk, file

    def _episodes_file(self, previous: Mapping[str, Any] | None) -> tuple[int, int]:
        if previous is None:
            return 0, 0
        chunk, file = int(previous["meta/episodes/chunk_index"]), int(previous["meta/episodes/file_index"])
        held = self._rows_in_file("meta/episodes", chunk, file, before=int(previous["episode_index"]) + 1,
                                  count_episodes=True)
        if held >= self.episodes_file_max_rows:
            return layout.next_file_index(chunk, file, self.meta.info["chunks_size"])
        return chunk, file

    def _rows_in_file(self, prefix: str, chunk: int, file: int, before: int, count_episodes: bool = False) -> int:
        """Frames (or episodes) that episodes ``0..before-1`` have in ``prefix``'s file (chunk, file), counted back
        from the last of them: a file's episodes are consecutive."""
        held = 0
        for i in range(before - 1, -1, -1):
            row = self.meta.episodes[i]
            if (int(row[f"{prefix}/chunk_index"]), int(row[f"{prefix}/file_index"])) != (chunk, file):
                break
            held += 1 if count_episodes else int(row["length"])
        return held

    def _append_video(self, key: str, video: EpisodeVideo, previous: Mapping[str, Any] | None, length: int) -> dict:
        meta = self.meta
        fps = meta.fps
        fragment = fmp4.read_episode_fragment(video.path)
        feature = meta.features[key]
        if "video.height" not in feature.get("info", {}):
            feature["info"] = {**probe_stream_info(video.path), **feature.get("info", {})}
            feature["info"].setdefault("is_depth_map", False)
        location = self._video_location(key, previous, length)
        chunk, file = location[f"videos/{key}/chunk_index"], location[f"videos/{key}/file_index"]
        path = self.meta.path(layout.VIDEO_PATH.format(video_key=key, chunk_index=chunk, file_index=file))
        if previous is not None and f"videos/{key}/chunk_index" in previous:
            limit = meta.info["video_files_size_in_mb"] * layout.MIB
            if not path.exists() or path.stat().st_size + len(fragment.fragment) > limit \
                    or not fmp4.can_append(path, fragment):
                chunk, file = layout.next_file_index(chunk, file, meta.info["chunks_size"])
                location = _location_columns(key, chunk, file, 0, length, fps)
                path = self.meta.path(layout.VIDEO_PATH.format(video_key=key, chunk_index=chunk, file_index=file))
        self.rollback.before_append(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fmp4.append_episode(path, fragment, round(location[f"videos/{key}/from_timestamp"] * fps), fps)
        except OSError as exc:
            raise_disk_error(path, exc)
            raise
        return location

    def _video_location(self, key: str, previous: Mapping[str, Any] | None, length: int) -> dict[str, Any]:
        """Where the episode's video of ``key`` goes when its file does not roll over: after the previous one."""
        if previous is None or f"videos/{key}/chunk_index" not in previous:
            return _location_columns(key, 0, 0, 0, length, self.meta.fps)
        chunk, file = int(previous[f"videos/{key}/chunk_index"]), int(previous[f"videos/{key}/file_index"])
        start = int(round(float(previous[f"videos/{key}/to_timestamp"]) * self.meta.fps))
        return _location_columns(key, chunk, file, start, length, self.meta.fps)


def _location_columns(key: str, chunk: int, file: int, start: int, length: int, fps: int) -> dict[str, Any]:
    return {
        f"videos/{key}/chunk_index": chunk,
        f"videos/{key}/file_index": file,
        f"videos/{key}/from_timestamp": start / fps,
        f"videos/{key}/to_timestamp": (start + length) / fps,
    }
