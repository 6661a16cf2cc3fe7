"""The LeRobot v3.0 layout, owned here: where each file lives, what each column of an episode row is called, when
a file rolls over to the next, and what a video feature's ``info`` holds. Nothing else in lerec spells a path, a
glob or an episode-row column; :mod:`lerec.dataset.spec.layout` checks that what a dataset names stays in its root.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import PurePath
from typing import Any

import attrs
import numpy as np

# A video feature's info is part of the layout, named here as the rest of it (kept in its own module for size).
from lerec.dataset.spec.video_info import (  # noqa: F401
    DEPTH_UNIT, IS_DEPTH_MAP, as_video_info, converted_info, depth_video_keys, has_stream_facts, image_info,
    is_depth_feature, recorded_info, reencoded_info, with_stream_facts)


# --- Files ---------------------------------------------------------------------------------------------------------
CODEBASE_VERSION = "v3.0"
CHUNKS_SIZE = 1000
DATA_FILES_SIZE_MB = 100
VIDEO_FILES_SIZE_MB = 200
MIB = 1024 * 1024
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
INFO_PATH = "meta/info.json"
STATS_PATH = "meta/stats.json"
TASKS_PATH = "meta/tasks.parquet"
META_DIR = "meta"
EPISODES_DIR = "meta/episodes"
STAGING_DIR = ".lerec/staging"
ROLLBACK_DIR = ".lerec/rollback"  # the committed versions of the files a save replaces
LOCK_PATH = ".lerec/lock"  # held by the one session writing into the dataset
PUSH_HASHES_PATH = ".lerec/push-hashes.json"  # SHA-256 of the files a push read, by size and mtime
VIDEOS_DIR = "videos"
CARD_DATA_FILES = "data/*/*.parquet"  # the default config of a published dataset's card (LeRobot's)
IMAGES_DIR = "images"  # LeRobot's PNG frames before they are encoded: not part of a published dataset
# The files and chunk folders of each kind, as lerec (and LeRobot) name them: globs relative to the root.
DATA_FILES = "data/chunk-*/file-*.parquet"
EPISODES_FILES = "meta/episodes/chunk-*/file-*.parquet"
DATA_CHUNKS = "data/chunk-*"
EPISODES_CHUNKS = "meta/episodes/chunk-*"
VIDEO_CHUNKS = "videos/*/chunk-*"  # of every video feature
VIDEO_FILE_NAMES = "file-*.mp4"  # in a chunk folder
# The fields each path template of info.json must hold.
TEMPLATE_FIELDS = {"data_path": ("chunk_index", "file_index"),
                   "video_path": ("video_key", "chunk_index", "file_index")}
# A parquet file is replaced whole to add an episode to it (so that every saved episode survives a crash), which
# costs in proportion to its rows. lerec starts a new file past these many rows as well as past the size limits
# (which LeRobot reads as maxima): measured, adding 600 rows to a 180,000-row data file took 115 ms, to a
# 36,000-row one ~25 ms.
DATA_FILE_MAX_ROWS = 36_000
EPISODES_FILE_MAX_ROWS = 100


def is_published(relative: str) -> bool:
    """Whether the file at ``relative`` (a POSIX path under the root) is part of the dataset a push publishes: not
    lerec's scratch, not a hidden file or folder (an atomic write in progress, a download's ``.cache/``), not
    LeRobot's ``images/``."""
    parts = PurePath(relative).parts
    return bool(parts) and parts[0] != IMAGES_DIR and not any(part.startswith(".") for part in parts)


def video_files(key: str) -> str:
    """The glob of feature ``key``'s video files."""
    return f"videos/{key}/chunk-*/file-*.mp4"


_VIDEO_FILE = re.compile(r"videos/([^/]+)/chunk-([0-9]+)/file-([0-9]+)\.mp4")


def parse_video_path(relative: str) -> tuple[str, FileAddress] | None:
    """(feature key, address) of a video file's path relative to the root, named as the layout names them."""
    found = _VIDEO_FILE.fullmatch(relative)
    return (found[1], FileAddress(int(found[2]), int(found[3]))) if found else None


def next_file_index(chunk_index: int, file_index: int, chunks_size: int = CHUNKS_SIZE) -> tuple[int, int]:
    """The (chunk, file) that follows: a chunk folder holds at most ``chunks_size`` files."""
    if file_index + 1 >= chunks_size:
        return chunk_index + 1, 0
    return chunk_index, file_index + 1


def rolls_over(held_bytes: int | None, adding_bytes: int, limit_bytes: float, held_rows: int = 0,
               adding_rows: int = 0, max_rows: int | None = None) -> bool:
    """Whether what is added goes to the next file: the current one (``held_bytes``; None when it holds
    nothing yet) would pass the size limit, or ``max_rows``."""
    if held_bytes is None:
        return False
    return held_bytes + adding_bytes > limit_bytes or (max_rows is not None and held_rows + adding_rows > max_rows)


# --- Sensor streams ------------------------------------------------------------------------------------------------
# lerec's own, one file per episode (addressed as LeRobot addresses files), beside what LeRobot 0.6.1 reads; declared
# in a meta file of lerec's own, which LeRobot leaves alone. Audio as LeRobot's audio work names it (audio/, .m4a).
SENSORS_META_PATH = "meta/lerec_sensors.json"
SENSOR_PATH = "sensors/{sensor_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"  # capture times [+ values]
AUDIO_PATH = "audio/{sensor_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.m4a"  # an audio stream's samples
SENSOR_FILES = ("sensors/*/chunk-*/file-*.parquet", "audio/*/chunk-*/file-*.m4a")  # of every stream
SENSOR_TIMESTAMP = "timestamp_ns"  # int64 ns after the episode's first tick
SENSOR_VALUES = "values"  # a numeric stream's [channels] per sample
SENSOR_START_KEY = b"lerec.episode_start_monotonic_ns"  # parquet metadata: the first tick on the recording clock
_SENSOR_FILE = re.compile(r"(?=sensors/.*\.parquet$|audio/.*\.m4a$)\w+/([^/]+)/chunk-([0-9]+)/file-([0-9]+)\.\w+")


def sensor_paths(key: str, audio: bool, episode_index: int, chunks_size: int = CHUNKS_SIZE) -> tuple[str, ...]:
    """The files of stream ``key`` for one episode: capture times (and values, unless audio), then the audio."""
    fields = {"sensor_key": key, "chunk_index": episode_index // chunks_size, "file_index": episode_index % chunks_size}
    return (SENSOR_PATH.format(**fields), AUDIO_PATH.format(**fields)) if audio else (SENSOR_PATH.format(**fields),)


def parse_sensor_path(relative: str, chunks_size: int = CHUNKS_SIZE) -> tuple[str, int] | None:
    """(stream key, episode index) of a sensor file's path relative to the root, named as the layout names them."""
    found = _SENSOR_FILE.fullmatch(relative)
    return (found[1], int(found[2]) * chunks_size + int(found[3])) if found else None


# --- Episode-row columns -------------------------------------------------------------------------------------------
EPISODE_INDEX = "episode_index"
TASKS = "tasks"
LENGTH = "length"
DATASET_FROM_INDEX = "dataset_from_index"
DATASET_TO_INDEX = "dataset_to_index"
# Prefixes of the (chunk_index, file_index) column pairs that say which file holds an episode's part.
DATA = "data"
EPISODES = "meta/episodes"
STATS_PREFIX = "stats/"
# meta/tasks.parquet: a task's number (also a frame column, as EPISODE_INDEX is) and its string.
TASK_INDEX = "task_index"
TASK = "task"
EPISODE_INT_COLUMNS = (EPISODE_INDEX, LENGTH, DATASET_FROM_INDEX, DATASET_TO_INDEX, f"{DATA}/chunk_index",
                       f"{DATA}/file_index", f"{EPISODES}/chunk_index", f"{EPISODES}/file_index")
VIDEO_COLUMN_NAMES = ("chunk_index", "file_index", "from_timestamp", "to_timestamp")
# An episode's labels (lerec's, :mod:`lerec.dataset.store.labels`): in every meta/episodes file, null when unset, last.
SUCCESS = "success"
TAGS = "tags"
NOTES = "notes"
LABEL_COLUMNS = (SUCCESS, TAGS, NOTES)


def video_prefix(key: str) -> str:
    """The prefix of the columns locating feature ``key``'s video of an episode."""
    return f"videos/{key}"


def video_column(key: str, name: str) -> str:
    """Column ``name`` (chunk_index, file_index, from_timestamp, to_timestamp) of feature ``key``'s video."""
    return f"videos/{key}/{name}"


def provenance_column(key: str, name: str) -> str:
    """lerec's own column ``name`` (``camera_seq``, ``capture_age_us``) of stream ``key`` in an episode row."""
    return f"lerec/{key}/{name}"


def stats_column(key: str, name: str) -> str:
    return f"{STATS_PREFIX}{key}/{name}"


def parse_stats_column(column: str) -> tuple[str, str] | None:
    """(feature, statistic) of a ``stats/<feature>/<statistic>`` column, else None."""
    if not column.startswith(STATS_PREFIX):
        return None
    feature, _, name = column[len(STATS_PREFIX):].rpartition("/")
    return (feature, name) if feature else None


def is_format_column(column: str, video_keys: Any = ()) -> bool:
    """Whether an episode-row ``column`` is one the v3.0 format defines (every other column is carried as is)."""
    return (column in EPISODE_INT_COLUMNS or column == TASKS or parse_stats_column(column) is not None
            or any(column.startswith(video_prefix(key) + "/") for key in video_keys))


# --- Records -------------------------------------------------------------------------------------------------------
_CHUNK_NAME = re.compile(r"chunk-([0-9]+)")
_FILE_NAME = re.compile(r"file-([0-9]+)")


@attrs.frozen(order=True)
class FileAddress:
    """Which file of a kind: chunk folder and file index."""

    chunk: int = attrs.field(converter=int)
    file: int = attrs.field(converter=int)

    def next(self, chunks_size: int = CHUNKS_SIZE) -> FileAddress:
        return FileAddress(*next_file_index(self.chunk, self.file, chunks_size))

    @classmethod
    def of(cls, row: Mapping[str, Any], prefix: str) -> FileAddress:
        """The address in a row's ``<prefix>/chunk_index`` and ``<prefix>/file_index`` columns."""
        return cls(row[f"{prefix}/chunk_index"], row[f"{prefix}/file_index"])

    def columns(self, prefix: str) -> dict[str, int]:
        return {f"{prefix}/chunk_index": self.chunk, f"{prefix}/file_index": self.file}

    @classmethod
    def from_path(cls, path: str | PurePath) -> FileAddress | None:
        """The address of a file named as the layout names them (``chunk-000/file-000.<ext>``), else None."""
        path = PurePath(path)
        chunk = _CHUNK_NAME.fullmatch(path.parent.name)
        file = _FILE_NAME.fullmatch(path.name.split(".", 1)[0])
        return cls(int(chunk[1]), int(file[1])) if chunk and file else None

    def data_path(self, template: str = DATA_PATH) -> str:
        return template.format(chunk_index=self.chunk, file_index=self.file)

    def episodes_path(self) -> str:
        return EPISODES_PATH.format(chunk_index=self.chunk, file_index=self.file)

    def video_path(self, key: str, template: str = VIDEO_PATH) -> str:
        return template.format(video_key=key, chunk_index=self.chunk, file_index=self.file)


FIRST_FILE = FileAddress(0, 0)


@attrs.frozen
class VideoLocation:
    """Where an episode's video of one feature is: its file and the time span it takes there."""

    address: FileAddress
    from_timestamp: float
    to_timestamp: float

    @classmethod
    def at(cls, address: FileAddress, start_frame: int, length: int, fps: int) -> VideoLocation:
        """``length`` frames from frame ``start_frame`` of the file at ``address``."""
        return cls(address, start_frame / fps, (start_frame + length) / fps)

    def start_frame(self, fps: int) -> int:
        return int(round(self.from_timestamp * fps))

    def end_frame(self, fps: int) -> int:
        return int(round(self.to_timestamp * fps))

    def columns(self, key: str) -> dict[str, Any]:
        return {**self.address.columns(video_prefix(key)), video_column(key, "from_timestamp"): self.from_timestamp,
                video_column(key, "to_timestamp"): self.to_timestamp}


def _tasks(tasks: Any) -> tuple[str, ...] | None:
    return None if tasks is None else tuple(tasks)


@attrs.frozen
class EpisodeRow(Mapping[str, Any]):
    """One row of ``meta/episodes``, typed: made by a writer, or read by :meth:`from_row` and written back by
    :meth:`to_row` as it was. ``extra`` holds the columns the format does not define (lerec's provenance, a
    user's own), carried as they are; ``videos`` is in feature order; ``stats`` holds the ``stats/...`` values as
    the row has them (:meth:`feature_stats` as arrays). ``tasks`` is None where the row has none.
    ``dataset_to_index`` is ``dataset_from_index + length`` unless a row read says otherwise (validate tells;
    :func:`attrs.evolve` keeps it, so pass it anew with a new length).
    Read as a mapping, it is its columns (``row["length"]``), for code that took rows as dicts."""

    index: int
    tasks: tuple[str, ...] | None = attrs.field(converter=_tasks)
    length: int
    data: FileAddress
    dataset_from_index: int
    episodes: FileAddress
    videos: Mapping[str, VideoLocation] = attrs.field(factory=dict)
    stats: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    dataset_to_index: int = attrs.field(kw_only=True, default=attrs.Factory(
        lambda row: row.dataset_from_index + row.length, takes_self=True))
    # The columns of the row read, in their order: written back so (None: the format's order).
    column_order: tuple[str, ...] | None = attrs.field(kw_only=True, default=None, eq=False, repr=False)
    _columns: dict[str, Any] | None = attrs.field(init=False, default=None, eq=False, repr=False)

    @classmethod
    def from_row(cls, row: Mapping[str, Any], video_keys: Any = ()) -> EpisodeRow:
        """The typed row of a ``meta/episodes`` row (its columns checked by
        :func:`lerec.dataset.spec.meta_schema.check_episodes_table`); ``video_keys``: the dataset's video features."""
        videos = {key: VideoLocation(FileAddress.of(row, video_prefix(key)), row[video_column(key, "from_timestamp")],
                                     row[video_column(key, "to_timestamp")])
                  for key in video_keys if video_column(key, "chunk_index") in row}
        located = {video_column(key, name) for key in videos for name in VIDEO_COLUMN_NAMES}
        stats: dict[str, dict[str, Any]] = {}
        extra: dict[str, Any] = {}
        for column, value in row.items():
            parsed = parse_stats_column(column)
            if parsed is not None:
                stats.setdefault(parsed[0], {})[parsed[1]] = value
            elif column not in located and column not in EPISODE_INT_COLUMNS and column != TASKS:
                extra[column] = value
        return cls(row[EPISODE_INDEX], row.get(TASKS), row[LENGTH], FileAddress.of(row, DATA),
                   row[DATASET_FROM_INDEX], FileAddress.of(row, EPISODES), videos, stats, extra,
                   dataset_to_index=row[DATASET_TO_INDEX], column_order=tuple(row))

    def to_row(self) -> dict[str, Any]:
        """The row as ``meta/episodes`` stores it (statistics as nested lists); a row read comes back with its
        columns in their order, and without those it did not have that hold nothing (the label columns are in
        every row, null when unset)."""
        row: dict[str, Any] = {EPISODE_INDEX: self.index, TASKS: None if self.tasks is None else list(self.tasks),
                               LENGTH: self.length}
        row.update((column, value) for column, value in self.extra.items() if column not in LABEL_COLUMNS)
        for key, location in self.videos.items():
            row.update(location.columns(key))
        row.update(self.data.columns(DATA))
        row[DATASET_FROM_INDEX], row[DATASET_TO_INDEX] = self.dataset_from_index, self.dataset_to_index
        for key, feature_stats in self.stats.items():
            for name, value in feature_stats.items():
                row[stats_column(key, name)] = np.asarray(value).tolist()
        row.update(self.episodes.columns(EPISODES))
        row.update((column, self.extra.get(column)) for column in LABEL_COLUMNS)
        if self.column_order is None:
            return row
        ordered = {column: row.pop(column) for column in self.column_order if column in row}
        ordered.update((column, value) for column, value in row.items()
                       if value is not None or column in LABEL_COLUMNS)
        return ordered

    def feature_stats(self) -> dict[str, dict[str, np.ndarray]]:
        """The per-feature statistics as arrays of the values the row stores (those it holds nothing for left
        out)."""
        stats: dict[str, dict[str, np.ndarray]] = {}
        for key, values in self.stats.items():
            for name, value in values.items():
                if value is not None:
                    stored = value if isinstance(value, list) else np.asarray(value).tolist()
                    stats.setdefault(key, {})[name] = np.asarray(stored)
        return stats

    def _row(self) -> dict[str, Any]:
        if self._columns is None:
            object.__setattr__(self, "_columns", self.to_row())
        return self._columns

    def __getitem__(self, column: str) -> Any:
        return self._row()[column]

    def __iter__(self) -> Iterator[str]:
        return iter(self._row())

    def __len__(self) -> int:
        return len(self._row())


# --- File checksums ------------------------------------------------------------------------------------------------
# info.json's CHECKSUMS: what each file of CHECKSUMMED_FILES held when info.json (the commit point) last committed
# it, ``{relative path: {"bytes": size, "crc32": "8 hex digits"}}`` (:mod:`lerec.dataset.spec.checksums`). LeRobot
# ignores the key (with a warning) and drops it whenever it rewrites info.json: a dataset without it has none.
CHECKSUMS = "lerec_checksums"
CHECKSUM_SIZE, CHECKSUM_CRC32 = "bytes", "crc32"
VIDEO_FILES = "videos/*/chunk-*/file-*.mp4"  # of every video feature
CHECKSUMMED_FILES = (DATA_FILES, EPISODES_FILES, TASKS_PATH, STATS_PATH, VIDEO_FILES, SENSORS_META_PATH, *SENSOR_FILES)
