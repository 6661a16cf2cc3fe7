"""Saving recorded episodes into a LeRobot v3.0 dataset, durably, one episode at a time.

Order of writes for an episode: a new task into tasks.parquet when the episode begins; then, in any order (the
recorder does them while encoders still flush), the data parquet replaced, video fragments appended (fsync),
the episodes parquet and stats.json replaced (written again if a video's file rolled over); info.json last.
info.json's ``total_episodes`` is the commit: opening a dataset for writing cuts anything beyond it that a crash
left behind (:meth:`DatasetWriter.resume`). A save that fails or is interrupted is abandoned: every file it changed
is put back byte for byte (:mod:`lerec.dataset.store.rollback`).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lerec.dataset.sensors import sensor_store
from lerec.dataset.spec import format as fmt
from lerec.dataset.spec import layout
from lerec.dataset.spec.meta_schema import read_parquet
from lerec.dataset.spec.stats import Stats, numeric_stats
from lerec.dataset.store.atomic import RESUME_HINT, raise_disk_error, remove_stale_temps
from lerec.dataset.store.labels import write_labels
from lerec.dataset.store.metadata import DatasetMeta, new_info
from lerec.dataset.store.rollback import Rollback
from lerec.dataset.store.tables import frame_table, write_data_file
from lerec.dataset.store.unfinished import beyond_repair
from lerec.dataset.writing.appender import EpisodeAppender, first_frame_index
from lerec.dataset.writing.episode_video import MovableEpisode
from lerec.encoding import fmp4
from lerec.encoding.probe import probe_stream_info
from lerec.errors import DatasetError, DatasetRequestError

log = logging.getLogger(__name__)


@attrs.define
class EpisodeVideo:
    """One stream of an episode, encoded into a one-fragment MP4, with its statistics."""

    path: Path
    stats: Stats


@attrs.define
class PendingEpisode:
    """An episode being saved, filled in part by part until :meth:`DatasetWriter.commit_episode`, from several
    threads: each part notes what it wrote under ``lock`` (:class:`lerec.dataset.writing.episode_save.EpisodeSave` runs
    the parts in order). ``episode_columns`` are extra columns of its row: lerec's provenance, which camera frame
    each row holds (``lerec/<key>/camera_seq``) and how old it was at its tick (``lerec/<key>/capture_age_us``)."""

    index: int
    task: str
    length: int
    previous: fmt.EpisodeRow | None
    episode_columns: dict[str, Any]
    data_file: fmt.FileAddress | None = None
    frame_stats: dict[str, Stats] = attrs.field(factory=dict)
    video_rows: dict[str, fmt.VideoLocation] = attrs.field(factory=dict)
    videos: dict[str, EpisodeVideo] = attrs.field(factory=dict)
    staged_row: fmt.EpisodeRow | None = None
    frames_written: bool = False
    written: list[Path] = attrs.field(factory=list)  # other files its parts placed (sensor streams)
    lock: threading.Lock = attrs.field(factory=threading.Lock, repr=False, eq=False)


class DatasetWriter:
    """Appends episodes to the dataset at ``meta.root``."""

    def __init__(self, meta: DatasetMeta):
        self.root = meta.root
        self.staging = meta.path(fmt.STAGING_DIR)
        self.pending: PendingEpisode | None = None  # an episode begun and not yet committed or abandoned
        self.rollback = Rollback(self.root / fmt.ROLLBACK_DIR)  # what the episode being saved changed
        self.appender = EpisodeAppender(meta, self.rollback)

    # The appender writes into the dataset of ``meta``: reloaded after an abandoned save, it follows.
    @property
    def meta(self) -> DatasetMeta:
        return self.appender.meta

    @meta.setter
    def meta(self, meta: DatasetMeta) -> None:
        self.appender.meta = meta

    @property
    def data_file_max_rows(self) -> int:
        return self.appender.data_file_max_rows

    @data_file_max_rows.setter
    def data_file_max_rows(self, rows: int) -> None:
        self.appender.data_file_max_rows = rows

    @property
    def episodes_file_max_rows(self) -> int:
        return self.appender.episodes_file_max_rows

    @episodes_file_max_rows.setter
    def episodes_file_max_rows(self, rows: int) -> None:
        self.appender.episodes_file_max_rows = rows

    @classmethod
    def create(
        cls, root: str | Path, fps: int, features: Mapping[str, Any], robot_type: str | None = None,
        use_videos: bool = True,
    ) -> DatasetWriter:
        root = Path(root)
        if (root / fmt.INFO_PATH).exists():
            raise DatasetRequestError(f"{root} already holds a dataset; pass resume=True to add episodes to it")
        if root.exists() and any(p.name != ".lerec" for p in root.iterdir()):
            raise DatasetRequestError(f"{root} exists and is not empty; choose a new folder")
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
                raise_disk_error(root, exc, RESUME_HINT)
            raise
        return writer

    @classmethod
    def resume(cls, root: str | Path) -> DatasetWriter:
        """Open an existing dataset to add episodes, cutting what an interrupted save left beyond info.json."""
        from lerec.dataset.writing.depth_conversion import finish_pending_conversion

        finish_pending_conversion(root)  # a depth conversion a crash interrupted after its commit point
        meta = DatasetMeta.load(root, uncommitted=True)
        damage = beyond_repair(root, meta)
        if damage:
            more = f" (and {len(damage) - 1} more)" if len(damage) > 1 else ""
            raise DatasetError(f"{root}: {damage[0]}{more}; resuming cannot repair this, and nothing was written "
                               f"(`lerec validate {root}` lists what is wrong)")
        writer = cls(meta)
        writer.repair()
        write_labels(meta, {})  # a dataset written before lerec labelled episodes: the columns in every file
        writer.staging.mkdir(parents=True, exist_ok=True)
        return writer

    def repair(self) -> None:
        """Make every file agree with info.json's ``total_episodes``."""
        meta = self.meta
        committed = int(meta.info["total_episodes"])
        # Every file the repair may rewrite, cut or delete, confined to the root before any is touched.
        files = {r.episodes for r in meta.episodes}
        for address in files:
            meta.path(address.episodes_path())
        meta.path(fmt.STATS_PATH)
        data_files = layout.find(self.root, fmt.DATA_FILES)
        video_files = {key: layout.find(self.root, fmt.video_files(key)) for key in meta.video_keys}
        changed: list[Path] = []  # data files rewritten and videos deleted: their checksums are renewed
        cut: list[Path] = []  # videos cut back to their committed bytes
        if len(meta.episodes) > committed:
            log.warning("%s: dropping %d episode(s) an interrupted save left unfinished", self.root,
                        len(meta.episodes) - committed)
            meta.episodes = [r for r in meta.episodes if r.index < committed]
            for address in files:
                meta.save_episodes_file(address.chunk, address.file)
        meta.save_stats(only_if_changed=True)  # a crash may have written it for an episode it never committed
        self.forget_uncommitted_tasks()
        total_frames = sum(r.length for r in meta.episodes)
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
                changed.append(path)
        for key in meta.video_keys:
            per_file: dict[fmt.FileAddress, int] = {}
            for row in meta.episodes:
                loc = row.videos[key].address
                per_file[loc] = per_file.get(loc, 0) + 1
            for path in video_files[key]:
                loc = fmt.FileAddress.from_path(path)
                if loc is None:
                    continue  # not a file lerec or LeRobot names so: not ours to cut
                if loc not in per_file:
                    path.unlink()
                    changed.append(path)
                elif fmp4.truncate_to_fragments(path, per_file[loc]):
                    log.warning("%s: cut an unfinished episode from %s", self.root, path)
                    cut.append(path)
        changed += sensor_store.cut_to(self.root, committed, int(meta.info["chunks_size"]))  # lerec's own streams
        if changed or cut or meta.unsaved:
            meta.save_info(written=changed, appended=cut)  # the same totals, the checksums of what was cut
        self._remove_leftovers()

    def _remove_leftovers(self) -> None:
        """Delete what interrupted writes leave beside the dataset's files: temporary files, the staging and
        rollback folders, a depth transcode's work folders."""
        from lerec.dataset.writing.depth_conversion import remove_transcode_leftovers

        root = self.root
        remove_stale_temps([layout.confine(root, fmt.META_DIR), *layout.find(root, fmt.EPISODES_CHUNKS),
                            *layout.find(root, fmt.DATA_CHUNKS)])
        remove_transcode_leftovers(root)
        shutil.rmtree(root / fmt.ROLLBACK_DIR, ignore_errors=True)
        shutil.rmtree(self.staging, ignore_errors=True)

    def abandon_episode(self) -> None:
        """After a failed or interrupted save, or an episode that ended before its save: put every file it changed
        back byte for byte (renames and truncations, which need no space), keeping the dataset open for the next
        one. Call it only once no thread of the save is running."""
        self.pending = None
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
        """Start saving the next episode: then :meth:`place_frames` and :meth:`append_frames` once and
        :meth:`add_video` per video feature, in any order and from different threads, optionally
        :meth:`stage_row`, then :meth:`commit_episode`. After a failure,
        :meth:`abandon_episode`. :class:`lerec.dataset.writing.episode_save.EpisodeSave` makes these calls in order."""
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
            self.rollback.before_replace(self.meta.path(fmt.TASKS_PATH))
            self.meta.task_index(task)
            self.meta.save_tasks()

    def forget_uncommitted_tasks(self) -> None:
        """Take out of meta/tasks.parquet the tasks added for episodes that were never committed."""
        committed = int(self.meta.info.get("total_tasks", len(self.meta.tasks)))
        if len(self.meta.tasks) > committed:
            self.meta.tasks = self.meta.tasks[:committed]
            self.meta.save_tasks()

    def place_frames(self, pending: PendingEpisode, columns: Mapping[str, Any],
                     extra_stats: Mapping[str, Stats] | None = None) -> pa.Table:
        """The episode's rows as a table, with where they go and their statistics noted in ``pending`` (all
        :meth:`stage_row` needs); :meth:`append_frames` then writes them."""
        meta = self.meta
        previous, length = pending.previous, pending.length
        from_index = first_frame_index(previous)
        columns = dict(columns)
        columns["timestamp"] = np.arange(length, dtype=np.float32) / np.float32(meta.fps)
        columns["frame_index"] = np.arange(length, dtype=np.int64)
        columns["episode_index"] = np.full(length, pending.index, dtype=np.int64)
        columns["index"] = np.arange(from_index, from_index + length, dtype=np.int64)
        columns["task_index"] = np.full(length, meta.tasks.index(pending.task), dtype=np.int64)
        table = frame_table(columns, meta.features)
        data_file = self.appender.data_file(previous, table.nbytes, length)
        frame_stats = {key: numeric_stats(np.asarray(v).reshape(length, -1))
                       for key, v in columns.items() if meta.features[key]["dtype"] not in ("image", "video")}
        frame_stats.update(extra_stats or {})
        with pending.lock:
            if pending.data_file is not None:
                raise DatasetError(f"episode {pending.index}: its frames were placed already")
            pending.data_file = data_file
            pending.frame_stats = frame_stats
        return table

    def append_frames(self, pending: PendingEpisode, table: pa.Table) -> None:
        """Write the rows :meth:`place_frames` made into the data parquet file it chose."""
        self.appender.append_rows(pending.data_file, table)  # data_file is set once, by place_frames
        with pending.lock:
            pending.frames_written = True

    def add_video(self, pending: PendingEpisode, key: str, video: EpisodeVideo) -> None:
        """Append one stream's one-fragment MP4 to its dataset video file (fsync'd)."""
        self._complete_info(key, video.path)
        episode = MovableEpisode(fmp4.read_episode_fragment(video.path), 0)
        location = self.appender.append_video(key, episode, pending.previous, pending.length)
        with pending.lock:
            pending.video_rows[key] = location
            pending.videos[key] = video

    def stage_row(self, pending: PendingEpisode, video_stats: Mapping[str, Stats]) -> None:
        """Write the episode's row and stats before its videos are appended (while encoders flush), with
        each video placed where the previous episode's ended. That is where it goes unless its file rolls over
        by size; :meth:`commit_episode` then writes the row again. Needs :meth:`place_frames` done."""
        locations = {key: self.appender.video_location(key, pending.previous, pending.length)
                     for key in self.meta.video_keys}
        with pending.lock:
            if pending.data_file is None:
                raise DatasetError(f"episode {pending.index}: place_frames before stage_row")
            pending.staged_row = self._write_row(pending, locations, video_stats)

    def commit_episode(self, pending: PendingEpisode) -> fmt.EpisodeRow:
        """Write the episode's row and stats (unless staged where the videos went) and, last, info.json:
        the commit. Returns the row."""
        meta = self.meta
        with pending.lock:
            missing = [key for key in meta.video_keys if key not in pending.videos]
            if not pending.frames_written or missing:
                raise DatasetError(f"episode {pending.index} is incomplete: "
                                   + (f"no video for {missing}" if missing else "its frames were not written"))
            row = pending.staged_row
            if row is None or any(row.videos.get(key) != location
                                  for key, location in pending.video_rows.items()):
                row = self._write_row(pending, pending.video_rows,
                                      {key: video.stats for key, video in pending.videos.items()})
        meta.save_info(written=[self.appender.data_path(pending.data_file), *pending.written],
                       appended=[self.appender.video_path(key, loc.address) for key, loc in pending.video_rows.items()])
        self.pending = None
        self.rollback.discard()
        for video in pending.videos.values():
            video.path.unlink(missing_ok=True)
        return row

    def _write_row(self, pending: PendingEpisode, videos: Mapping[str, fmt.VideoLocation],
                   video_stats: Mapping[str, Stats]) -> fmt.EpisodeRow:
        """Add (or replace) the episode's row in meta/episodes; write stats.json."""
        previous = pending.previous
        row = fmt.EpisodeRow(
            pending.index, [pending.task], pending.length, pending.data_file, first_frame_index(previous),
            self.appender.episodes_file(previous), {key: videos[key] for key in self.meta.video_keys},
            {**pending.frame_stats, **video_stats}, pending.episode_columns)
        return self.appender.write_row(row)

    def _complete_info(self, key: str, video: Path) -> None:
        """Add the stream facts of a feature's first video (its size, frame rate, ...) to its info."""
        feature = self.meta.features[key]
        if not fmt.has_stream_facts(feature.get("info", {})):
            feature["info"] = fmt.with_stream_facts(feature.get("info", {}), probe_stream_info(video))
