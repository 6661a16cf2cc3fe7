"""Saving recorded episodes into a LeRobot v3.0 dataset, durably, one episode at a time.

Order of writes for an episode: video fragments appended (fsync), data parquet replaced, episodes parquet
replaced, tasks and stats, and info.json last. info.json's ``total_episodes`` is the commit: opening a dataset
for writing cuts anything beyond it that a crash left behind (:meth:`DatasetWriter.resume`).
"""

from __future__ import annotations

import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lerec.dataset import layout
from lerec.dataset.metadata import DatasetMeta, new_info
from lerec.dataset.stats import Stats, numeric_stats
from lerec.dataset.tables import append_rows, frame_table, write_parquet
from lerec.encoding import fmp4
from lerec.encoding.probe import probe_stream_info
from lerec.errors import DatasetError

log = logging.getLogger(__name__)


@attrs.define
class EpisodeVideo:
    """One stream of an episode, encoded into a one-fragment MP4, with its statistics."""

    path: Path
    stats: Stats


@attrs.define
class EpisodeData:
    """What the recorder hands over for one episode: ``columns`` are the non-video features as (length, ...)
    arrays (image features included, as PNG structs), ``videos`` the encoded streams by feature key.
    ``episode_columns`` are extra columns of the episode's row (lerec's provenance: which camera frame each row
    holds, ``lerec/<key>/camera_seq``, and how old it was at its tick, ``lerec/<key>/capture_age_us``)."""

    task: str
    length: int
    columns: dict[str, Any] = attrs.field(factory=dict)
    videos: dict[str, EpisodeVideo] = attrs.field(factory=dict)
    extra_stats: dict[str, Stats] = attrs.field(factory=dict)
    episode_columns: dict[str, Any] = attrs.field(factory=dict)


class DatasetWriter:
    """Appends episodes to the dataset at ``meta.root``."""

    def __init__(self, meta: DatasetMeta):
        self.meta = meta
        self.root = meta.root
        self.staging = self.root / layout.STAGING_DIR

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
        writer = cls(meta)
        writer.staging.mkdir(parents=True, exist_ok=True)
        meta.save_tasks()
        meta.save_stats()
        meta.save_info()
        return writer

    @classmethod
    def resume(cls, root: str | Path) -> DatasetWriter:
        """Open an existing dataset to add episodes, cutting what an interrupted save left beyond info.json."""
        from lerec.encoding.depth_conversion import finish_pending_conversion

        finish_pending_conversion(root)  # a depth conversion a crash interrupted after its commit point
        meta = DatasetMeta.load(root)
        writer = cls(meta)
        writer.repair()
        writer.staging.mkdir(parents=True, exist_ok=True)
        return writer

    def repair(self) -> None:
        """Make every file agree with info.json's ``total_episodes``."""
        meta = self.meta
        committed = int(meta.info["total_episodes"])
        if len(meta.episodes) > committed:
            log.warning("%s: dropping %d episode(s) an interrupted save left unfinished", self.root,
                        len(meta.episodes) - committed)
            files = {(r["meta/episodes/chunk_index"], r["meta/episodes/file_index"]) for r in meta.episodes}
            meta.episodes = [r for r in meta.episodes if r["episode_index"] < committed]
            for chunk, file in files:
                meta.save_episodes_file(chunk, file)
        total_frames = sum(int(r["length"]) for r in meta.episodes)
        for path in sorted((self.root / "data").glob("chunk-*/file-*.parquet")):
            table = pq.read_table(path)
            if len(table) and max(table.column("index").to_pylist()) >= total_frames:
                kept = table.filter(pc.less(table.column("index"), total_frames))
                if len(kept):
                    write_parquet(path, kept)
                else:
                    path.unlink()
        for key in meta.video_keys:
            per_file: dict[tuple[int, int], int] = {}
            for row in meta.episodes:
                loc = (row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"])
                per_file[loc] = per_file.get(loc, 0) + 1
            for path in sorted((self.root / "videos" / key).glob("chunk-*/file-*.mp4")):
                loc = (int(path.parent.name[6:]), int(path.stem[5:]))
                if loc not in per_file:
                    path.unlink()
                elif fmp4.truncate_to_fragments(path, per_file[loc]):
                    log.warning("%s: cut an unfinished episode from %s", self.root, path)
        shutil.rmtree(self.staging, ignore_errors=True)

    def remove_staging(self) -> None:
        """Delete the staging folder (and ``.lerec`` when nothing else, such as a conversion journal, is in it)."""
        shutil.rmtree(self.staging, ignore_errors=True)
        try:
            self.staging.parent.rmdir()
        except OSError:
            pass

    def save_episode(self, episode: EpisodeData) -> dict[str, Any]:
        """Write ``episode`` as the next episode; returns its episode row. Blocking: run it off the loop."""
        meta = self.meta
        if episode.length <= 0:
            raise DatasetError("an episode needs at least one frame")
        index = len(meta.episodes)
        previous = meta.episodes[-1] if meta.episodes else None
        from_index = int(previous["dataset_to_index"]) if previous else 0
        row: dict[str, Any] = {"episode_index": index, "tasks": [episode.task], "length": episode.length}
        row.update(episode.episode_columns)

        # Each stream has its own file: appending them side by side lets their fsyncs share a journal commit.
        with ThreadPoolExecutor(max_workers=max(1, len(episode.videos))) as pool:
            placed = pool.map(lambda item: self._append_video(*item, previous, episode.length), episode.videos.items())
            for location in list(placed):
                row.update(location)

        new_task = episode.task not in meta.tasks
        task_index = meta.task_index(episode.task)
        columns = dict(episode.columns)
        columns["timestamp"] = np.arange(episode.length, dtype=np.float32) / np.float32(meta.fps)
        columns["frame_index"] = np.arange(episode.length, dtype=np.int64)
        columns["episode_index"] = np.full(episode.length, index, dtype=np.int64)
        columns["index"] = np.arange(from_index, from_index + episode.length, dtype=np.int64)
        columns["task_index"] = np.full(episode.length, task_index, dtype=np.int64)
        table = frame_table(columns, meta.features)
        chunk, file = self._data_file(previous, table.nbytes)
        append_rows(self.root / layout.DATA_PATH.format(chunk_index=chunk, file_index=file), table)
        row.update({"data/chunk_index": chunk, "data/file_index": file,
                    "dataset_from_index": from_index, "dataset_to_index": from_index + episode.length})

        stats = {key: numeric_stats(np.asarray(v).reshape(episode.length, -1))
                 for key, v in columns.items() if meta.features[key]["dtype"] not in ("image", "video")}
        stats.update({key: video.stats for key, video in episode.videos.items()})
        stats.update(episode.extra_stats)
        for key, feature_stats in stats.items():
            for name, value in feature_stats.items():
                row[f"stats/{key}/{name}"] = np.asarray(value).tolist()

        ep_chunk, ep_file = (previous["meta/episodes/chunk_index"], previous["meta/episodes/file_index"]) if previous else (0, 0)
        row["meta/episodes/chunk_index"], row["meta/episodes/file_index"] = ep_chunk, ep_file
        meta.episodes.append(row)
        meta.save_episodes_file(ep_chunk, ep_file, appended=row)
        if new_task:
            meta.save_tasks()
        meta.save_stats()
        meta.save_info()
        for video in episode.videos.values():
            video.path.unlink(missing_ok=True)
        return row

    def _data_file(self, previous: Mapping[str, Any] | None, nbytes: int) -> tuple[int, int]:
        if previous is None:
            return 0, 0
        chunk, file = int(previous["data/chunk_index"]), int(previous["data/file_index"])
        path = self.root / layout.DATA_PATH.format(chunk_index=chunk, file_index=file)
        limit = self.meta.info["data_files_size_in_mb"] * layout.MIB
        if path.exists() and path.stat().st_size + nbytes > limit:
            return layout.next_file_index(chunk, file, self.meta.info["chunks_size"])
        return chunk, file

    def _append_video(self, key: str, video: EpisodeVideo, previous: Mapping[str, Any] | None, length: int) -> dict:
        meta = self.meta
        fps = meta.fps
        fragment = fmp4.read_episode_fragment(video.path)
        feature = meta.features[key]
        if "video.height" not in feature.get("info", {}):
            feature["info"] = {**probe_stream_info(video.path), **feature.get("info", {})}
            feature["info"].setdefault("is_depth_map", False)
        chunk, file, start = 0, 0, 0
        if previous is not None and f"videos/{key}/chunk_index" in previous:
            chunk, file = int(previous[f"videos/{key}/chunk_index"]), int(previous[f"videos/{key}/file_index"])
            start = int(round(float(previous[f"videos/{key}/to_timestamp"]) * fps))
            path = self.root / layout.VIDEO_PATH.format(video_key=key, chunk_index=chunk, file_index=file)
            limit = meta.info["video_files_size_in_mb"] * layout.MIB
            if not path.exists() or path.stat().st_size + len(fragment.fragment) > limit \
                    or not fmp4.can_append(path, fragment):
                chunk, file = layout.next_file_index(chunk, file, meta.info["chunks_size"])
                start = 0
        path = self.root / layout.VIDEO_PATH.format(video_key=key, chunk_index=chunk, file_index=file)
        path.parent.mkdir(parents=True, exist_ok=True)
        fmp4.append_episode(path, fragment, start, fps)
        return {
            f"videos/{key}/chunk_index": chunk,
            f"videos/{key}/file_index": file,
            f"videos/{key}/from_timestamp": start / fps,
            f"videos/{key}/to_timestamp": (start + length) / fps,
        }
