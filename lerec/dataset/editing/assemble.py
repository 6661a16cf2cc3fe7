"""Building a new dataset from episodes of existing ones: the common core of merge, delete, split and re-encode.

Rows are copied with new ``episode_index``, ``index`` and ``task_index``; videos are moved as whole episode
fragments (no re-encoding) unless the caller hands a new one; statistics of numeric features are recomputed from
the rows, those of images and videos are carried over, and the dataset's are aggregated from the episodes'.
Columns lerec does not build (language annotations, a user's own) are copied with their values and types; sensor
streams (lerec's own, beside the layout) are copied file by file.
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

from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.sensors import sensor_store
from lerec.dataset.spec import format as fmt
from lerec.dataset.spec.checksums import dataset_files
from lerec.dataset.spec.features import DEFAULT_FEATURES, NUMERIC_DTYPES, declared_frame_size
from lerec.dataset.spec.stats import numeric_stats
from lerec.dataset.store.atomic import raise_disk_error
from lerec.dataset.store.metadata import DatasetMeta, new_info
from lerec.dataset.store.tables import frame_table
from lerec.dataset.writing.appender import EpisodeAppender, first_frame_index
from lerec.dataset.writing.episode_video import EpisodeVideoSource, MovableEpisode
from lerec.encoding import fmp4
from lerec.errors import DatasetError, DatasetRequestError

IMAGE_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


@contextlib.contextmanager
def output_folder(output: str | os.PathLike) -> Iterator[Path]:
    """A temporary folder beside ``output`` that is renamed to ``output`` when the block succeeds."""
    output = Path(output)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise DatasetRequestError(f"{output} exists and is not empty; choose a new output folder")
    tmp = output.parent / f".{output.name}.lerec-tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
    except OSError as exc:  # a read-only or full file system, a place no folder can be made (/proc)
        raise_disk_error(tmp, exc)
        raise DatasetError(f"{output}: cannot create the output folder ({exc.strerror or exc}: "
                           f"{exc.filename or tmp})") from None
    try:
        yield tmp
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise_disk_error(output, exc)
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
        self.appender = EpisodeAppender(self.meta, buffered=True, data_file_max_rows=None)
        self.sensor_streams: dict[str, sensor_store.StreamDecl] | None = None  # the sources' (None: no source yet)

    @property
    def features(self) -> dict[str, dict[str, Any]]:
        return self.meta.features

    def add(self, src: DatasetReader, e: int, *, videos: Mapping[str, MovableEpisode] | None = None,
            columns: Mapping[str, Any] | None = None,
            stream_stats: Mapping[str, Mapping[str, Any]] | None = None) -> fmt.EpisodeRow:
        """Copy episode ``e`` of ``src``, with every column of its rows and its episode row that lerec does not
        define kept as it is. ``videos`` replace a stream's episode video (e.g. re-encoded), ``columns`` replace
        or drop (value None) parquet columns and ``stream_stats`` replace the statistics an image or video stream
        carries over (e.g. recomputed from its frames)."""
        source_row = src.episode(e)
        length = source_row.length
        src.verify_file(src.data_path(e))  # what is copied gets a new checksum: it must be as committed
        rows = src.rows(e)
        rows.update(columns or {})
        index = self.appender.episodes
        previous = self.appender.last
        self.sensor_streams = sensor_store.same_declared(self.sensor_streams, src.sensor_streams, src.root)
        sensor_store.copy_episode(src.root, e, int(src.meta.info["chunks_size"]), self.meta.root, index,
                                  int(self.meta.info["chunks_size"]), self.sensor_streams,
                                  src.verify_file)  # bytes, as recorded
        start = first_frame_index(previous)
        task_map = np.array([self.meta.task_index(t) for t in src.tasks] or [0], dtype=np.int64)
        cols: dict[str, Any] = {}
        for key, feature in self.features.items():
            if feature["dtype"] == "video" or not is_built_column(feature):
                continue
            if key not in rows or rows[key] is None:
                if key in DEFAULT_FEATURES:
                    continue
                raise DatasetError(f"episode {e} of {src.root} has no column {key!r}")
            cols[key] = rows[key]
        cols["timestamp"] = np.arange(length, dtype=np.float32) / np.float32(self.fps)
        cols["frame_index"] = np.arange(length, dtype=np.int64)
        cols[fmt.EPISODE_INDEX] = np.full(length, index, dtype=np.int64)
        cols["index"] = np.arange(start, start + length, dtype=np.int64)
        task_index = np.asarray(rows[fmt.TASK_INDEX], dtype=np.int64)
        unknown = task_index[(task_index < 0) | (task_index >= len(src.tasks))]
        if unknown.size:
            raise DatasetError(f"{src.data_path(e)}: episode {e} has task_index {unknown[0]}, but "
                               f"{src.root / fmt.TASKS_PATH} holds {len(src.tasks)} task(s)")
        cols[fmt.TASK_INDEX] = task_map[task_index]
        tasks = list(source_row.tasks or ())
        for task in tasks:
            self.meta.task_index(task)
        table = rows_table(cols, self.features)
        carried, dropped = src.carried_rows(e), {k for k, v in (columns or {}).items() if v is None}
        for name in carried.column_names:
            if name not in table.column_names and name not in dropped:
                table = table.append_column(carried.schema.field(name), carried.column(name))
        data = self.appender.data_file(previous, table.nbytes, length)
        self.appender.append_rows(data, table)
        locations = {}
        for key, feature in self.features.items():
            if feature["dtype"] == "video":
                movable = (videos or {}).get(key)
                if movable is None:
                    path = src.video_path(e, key)
                    movable = self.videos.episode(path, source_row.videos[key].from_timestamp, length, self.fps,
                                                  src.committed_checksum(path))
                    _check_frame_size(movable, src.features[key], key, path, src.root)
                elif src.features[key]["dtype"] == "video":  # re-encoded from its decoded frames
                    src.verify_file(src.video_path(e, key))
                locations[key] = self.appender.append_video(key, movable, previous, length)
        stats = {k: numeric_stats(np.asarray(v, dtype=np.float64).reshape(length, -1))
                 for k, v in cols.items() if self.features[k]["dtype"] != "image"}
        kept = src.meta.episode_stats(source_row)
        for key, feature in self.features.items():
            if feature["dtype"] in ("video", "image") and key in kept:
                stats[key] = kept[key]
        stats.update(stream_stats or {})
        for column, type_ in src.meta.extra_types.items():
            self.meta.extra_types.setdefault(column, type_)
        row = fmt.EpisodeRow(index, tasks, length, data, start, self.appender.episodes_file(previous), locations,
                             stats, source_row.extra)
        return self.appender.write_row(row)

    def finish(self) -> DatasetMeta:
        """Write the remaining rows and every meta file; returns the new dataset's metadata (its ``episodes``
        are not held: :meth:`DatasetMeta.load` reads them)."""
        if not self.appender.episodes:
            raise DatasetError("no episodes to write")
        self.appender.finish()
        self.meta.save_tasks()
        self.meta.save_stats(total=self.appender.stats)
        sensor_store.save_declared(self.meta.root, self.sensor_streams or {})
        self.meta.save_info((self.appender.episodes, self.appender.frames), written=dataset_files(self.meta.root))
        return self.meta


def _check_frame_size(movable: MovableEpisode, feature: Mapping[str, Any], key: str, path: Path, root: Path) -> None:
    """The stream copied has the frame size its feature declares (which the copy keeps)."""
    size = fmp4.sample_size(movable.fragment.init)
    declared = declared_frame_size(feature)
    if size is not None and (size[1], size[0]) != declared:
        raise DatasetError(f"{path}: its frames are {size[1]}x{size[0]} (height x width), but "
                           f"{root / fmt.INFO_PATH} declares {key} {declared[0]}x{declared[1]}")


def is_built_column(feature: Mapping[str, Any]) -> bool:
    """Whether a feature's parquet column is built from numpy values (numbers, images); the others (strings,
    LeRobot's language annotations) are copied as arrow columns."""
    return feature["dtype"] in NUMERIC_DTYPES or feature["dtype"] == "image"


def check_output_not_source(output: str | os.PathLike, sources: list[str | os.PathLike]) -> None:
    out = Path(output).resolve()
    for src in sources:
        s = Path(src).resolve()
        if out == s or s in out.parents or out in s.parents:
            raise DatasetRequestError(f"output {output} overlaps the source dataset {src}; sources are never modified")

