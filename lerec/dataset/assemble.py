"""Building a new dataset from episodes of existing ones: the common core of merge, delete, split and re-encode.

Rows are copied with new ``episode_index``, ``index`` and ``task_index``; videos are moved as whole episode
fragments (no re-encoding) unless the caller hands a new one; statistics of numeric features are recomputed from
the rows, those of images and videos are carried over, and the dataset's are aggregated from the episodes'.
Everything is written into a temporary folder that becomes the output only when the whole job succeeded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from lerec.dataset import layout
from lerec.dataset.episode_video import EpisodeVideoSource, MovableEpisode
from lerec.dataset.metadata import DatasetMeta, new_info
from lerec.dataset.reader import DatasetReader
from lerec.dataset.stats import numeric_stats
from lerec.dataset.tables import frame_table, write_data_file
from lerec.errors import DatasetError

IMAGE_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


@contextlib.contextmanager
def output_folder(output: str | os.PathLike) -> Iterator[Path]:
    """A temporary folder beside ``output`` that is renamed to ``output`` when the block succeeds."""
    output = Path(output)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise DatasetError(f"{output} exists and is not empty; choose a new output folder")
    tmp = output.parent / f".{output.name}.lerec-tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if output.exists():
        output.rmdir()
    os.replace(tmp, output)


def rows_table(columns: Mapping[str, Any], features: Mapping[str, Mapping[str, Any]]) -> pa.Table:
    """Frame rows in feature order: numeric columns as LeRobot types them, image cells as PNG structs."""
    numeric = {k: v for k, v in columns.items() if features[k]["dtype"] != "image"}
    table = frame_table(numeric, features)
    for key, values in columns.items():
        if features[key]["dtype"] == "image":
            table = table.append_column(key, pa.array(list(values), type=IMAGE_TYPE))
    order = [k for k in features if k in columns]
    return table.select(order)


class DatasetAssembler:
    """Appends episodes taken from :class:`DatasetReader` s to a new dataset at ``root`` (a fresh folder)."""

    def __init__(self, root: Path, fps: int, features: Mapping[str, Any], robot_type: str | None):
        use_videos = any(f["dtype"] == "video" for f in features.values())
        self.meta = DatasetMeta(Path(root), new_info(fps, dict(features), robot_type, use_videos))
        self.fps = int(fps)
        self.videos = EpisodeVideoSource()
        self._pending: list[pa.Table] = []
        self._pending_bytes = 0
        self._data_loc = (0, 0)
        self._next_index = 0
        self._video_state: dict[str, list] = {}  # key -> [chunk, file, next start frame, bytes, sample description]

    @property
    def features(self) -> dict[str, dict[str, Any]]:
        return self.meta.features

    def add(self, src: DatasetReader, e: int, *, videos: Mapping[str, MovableEpisode] | None = None,
            columns: Mapping[str, Any] | None = None,
            stream_stats: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """Copy episode ``e`` of ``src``. ``videos`` replace a stream's episode video (e.g. re-encoded),
        ``columns`` replace or drop (value None) parquet columns and ``stream_stats`` replace the statistics an
        image or video stream carries over (e.g. recomputed from its frames)."""
        source_row = src.episode(e)
        length = int(source_row["length"])
        rows = src.rows(e)
        rows.update(columns or {})
        index = len(self.meta.episodes)
        start = self._next_index
        task_map = np.array([self.meta.task_index(t) for t in src.tasks] or [0], dtype=np.int64)
        cols: dict[str, Any] = {}
        for key, feature in self.features.items():
            if feature["dtype"] == "video":
                continue
            if key not in rows or rows[key] is None:
                if key in ("timestamp", "frame_index", "episode_index", "index", "task_index"):
                    continue
                raise DatasetError(f"episode {e} of {src.root} has no column {key!r}")
            cols[key] = rows[key]
        cols["timestamp"] = np.arange(length, dtype=np.float32) / np.float32(self.fps)
        cols["frame_index"] = np.arange(length, dtype=np.int64)
        cols["episode_index"] = np.full(length, index, dtype=np.int64)
        cols["index"] = np.arange(start, start + length, dtype=np.int64)
        task_index = np.asarray(rows["task_index"], dtype=np.int64)
        unknown = task_index[(task_index < 0) | (task_index >= len(src.tasks))]
        if unknown.size:
            raise DatasetError(f"{src.data_path(e)}: episode {e} has task_index {unknown[0]}, but "
                               f"{src.root / layout.TASKS_PATH} holds {len(src.tasks)} task(s)")
        cols["task_index"] = task_map[task_index]
        row: dict[str, Any] = {"episode_index": index, "tasks": list(source_row.get("tasks") or []),
                               "length": length}
        for task in row["tasks"]:
            self.meta.task_index(task)
        row.update(self._add_rows(rows_table(cols, self.features)))
        row.update({"dataset_from_index": start, "dataset_to_index": start + length})
        for key, feature in self.features.items():
            if feature["dtype"] == "video":
                movable = (videos or {}).get(key) or self.videos.episode(
                    src.video_path(e, key), float(source_row[f"videos/{key}/from_timestamp"]), length, self.fps)
                row.update(self._add_video(key, movable, length))
        stats = {k: numeric_stats(np.asarray(v, dtype=np.float64).reshape(length, -1))
                 for k, v in cols.items() if self.features[k]["dtype"] != "image"}
        carried = src.meta.episode_stats(source_row)
        for key, feature in self.features.items():
            if feature["dtype"] in ("video", "image") and key in carried:
                stats[key] = carried[key]
        stats.update(stream_stats or {})
        for key, feature_stats in stats.items():
            for name, value in feature_stats.items():
                row[f"stats/{key}/{name}"] = np.asarray(value).tolist()
        for column, value in source_row.items():
            if column.startswith("lerec/"):
                row[column] = value
        row["meta/episodes/chunk_index"], row["meta/episodes/file_index"] = 0, 0
        self.meta.episodes.append(row)
        self._next_index += length
        return row

    def _add_rows(self, table: pa.Table) -> dict[str, int]:
        limit = self.meta.info["data_files_size_in_mb"] * layout.MIB
        if self._pending and self._pending_bytes + table.nbytes > limit:
            self._flush_rows()
            self._data_loc = layout.next_file_index(*self._data_loc, self.meta.info["chunks_size"])
        self._pending.append(table)
        self._pending_bytes += table.nbytes
        return {"data/chunk_index": self._data_loc[0], "data/file_index": self._data_loc[1]}

    def _flush_rows(self) -> None:
        if self._pending:
            chunk, file = self._data_loc
            table = pa.concat_tables(self._pending, promote_options="default")
            write_data_file(self.meta.path(layout.DATA_PATH.format(chunk_index=chunk, file_index=file)), table)
        self._pending, self._pending_bytes = [], 0

    def _add_video(self, key: str, movable: MovableEpisode, length: int) -> dict[str, Any]:
        state = self._video_state.get(key)
        description = movable.fragment.sample_description
        size = len(movable.fragment.fragment)
        limit = self.meta.info["video_files_size_in_mb"] * layout.MIB
        if state is None:
            state = self._video_state[key] = [0, 0, 0, 0, description]
        elif state[3] and (state[3] + size > limit or state[4] != description):
            state[:] = [*layout.next_file_index(state[0], state[1], self.meta.info["chunks_size"]), 0, 0, description]
        chunk, file, first = state[0], state[1], state[2]
        path = self.meta.path(layout.VIDEO_PATH.format(video_key=key, chunk_index=chunk, file_index=file))
        path.parent.mkdir(parents=True, exist_ok=True)
        movable.append_to(path, first, self.fps)
        state[2] += length
        state[3] = path.stat().st_size
        return {f"videos/{key}/chunk_index": chunk, f"videos/{key}/file_index": file,
                f"videos/{key}/from_timestamp": first / self.fps,
                f"videos/{key}/to_timestamp": (first + length) / self.fps}

    def finish(self) -> DatasetMeta:
        """Write the remaining rows and every meta file; returns the new dataset's metadata."""
        if not self.meta.episodes:
            raise DatasetError("no episodes to write")
        self._flush_rows()
        columns = list(dict.fromkeys(c for r in self.meta.episodes for c in r))
        self.meta.episodes = [{c: r.get(c) for c in columns} for r in self.meta.episodes]
        self.meta.save_episodes_file(0, 0)
        self.meta.save_tasks()
        self.meta.save_stats()
        self.meta.save_info()
        return self.meta


def check_output_not_source(output: str | os.PathLike, sources: list[str | os.PathLike]) -> None:
    out = Path(output).resolve()
    for src in sources:
        s = Path(src).resolve()
        if out == s or s in out.parents or out in s.parents:
            raise DatasetError(f"output {output} overlaps the source dataset {src}; sources are never modified")

