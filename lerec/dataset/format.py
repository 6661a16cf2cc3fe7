"""The LeRobot v3.0 layout, owned here: where each file lives, what each column of an episode row is called, when
a file rolls over to the next, and what a video feature's ``info`` holds. Nothing else in lerec spells a path, a
glob or an episode-row column; :mod:`lerec.dataset.layout` checks that what a dataset names stays in its root.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import attrs
import numpy as np

from lerec.encoding.config import DEPTH_SETTINGS_KEYS
from lerec.encoding.ffmpeg_mapping import canonical_codec_name

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


def video_prefix(key: str) -> str:
    """The prefix of the columns locating feature ``key``'s video of an episode."""
    return f"videos/{key}"


def video_column(key: str, name: str) -> str:
    """Column ``name`` (chunk_index, file_index, from_timestamp, to_timestamp) of feature ``key``'s video."""
    return f"videos/{key}/{name}"


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


def episode_stats(row: Mapping[str, Any]) -> dict[str, dict[str, np.ndarray]]:
    """The per-feature statistics in an episode row's ``stats/...`` columns."""
    stats: dict[str, dict[str, np.ndarray]] = {}
    for column, value in row.items():
        parsed = parse_stats_column(column)
        if parsed is not None and value is not None:
            stats.setdefault(parsed[0], {})[parsed[1]] = np.asarray(value)
    return stats


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

    @classmethod
    def of(cls, row: Mapping[str, Any], key: str) -> VideoLocation | None:
        """The location in an episode row, None when the row has none for ``key``."""
        if video_column(key, "chunk_index") not in row:
            return None
        return cls(FileAddress.of(row, video_prefix(key)), float(row[video_column(key, "from_timestamp")]),
                   float(row[video_column(key, "to_timestamp")]))

    def start_frame(self, fps: int) -> int:
        return int(round(self.from_timestamp * fps))

    def end_frame(self, fps: int) -> int:
        return int(round(self.to_timestamp * fps))

    def columns(self, key: str) -> dict[str, Any]:
        return {**self.address.columns(video_prefix(key)), video_column(key, "from_timestamp"): self.from_timestamp,
                video_column(key, "to_timestamp"): self.to_timestamp}


def video_from_timestamp(row: Mapping[str, Any], key: str) -> float:
    """Where episode ``row``'s video of ``key`` starts in its file (s)."""
    return float(row[video_column(key, "from_timestamp")])


@attrs.frozen
class EpisodeRow:
    """One row of ``meta/episodes``. ``extra`` holds the columns the format does not define (lerec's provenance,
    a user's own), carried as they are; ``videos`` is in feature order."""

    index: int
    tasks: tuple[str, ...] = attrs.field(converter=tuple)
    length: int
    data: FileAddress
    dataset_from_index: int
    episodes: FileAddress
    videos: Mapping[str, VideoLocation] = attrs.field(factory=dict)
    stats: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def dataset_to_index(self) -> int:
        return self.dataset_from_index + self.length

    def to_row(self) -> dict[str, Any]:
        """The row as ``meta/episodes`` stores it (statistics as nested lists)."""
        row: dict[str, Any] = {EPISODE_INDEX: self.index, TASKS: list(self.tasks), LENGTH: self.length}
        row.update(self.extra)
        for key, location in self.videos.items():
            row.update(location.columns(key))
        row.update(self.data.columns(DATA))
        row[DATASET_FROM_INDEX], row[DATASET_TO_INDEX] = self.dataset_from_index, self.dataset_to_index
        for key, feature_stats in self.stats.items():
            for name, value in feature_stats.items():
                row[stats_column(key, name)] = np.asarray(value).tolist()
        row.update(self.episodes.columns(EPISODES))
        return row


def extra_columns(row: Mapping[str, Any], video_keys: Any) -> dict[str, Any]:
    """The columns of an episode row that the format does not define."""
    return {column: value for column, value in row.items() if not is_format_column(column, video_keys)}


# --- Video feature info --------------------------------------------------------------------------------------------
# A video feature's ``info`` in info.json: how the stream is encoded (``video.codec``, ``video.pix_fmt`` and the
# encoder settings of :meth:`RGBEncoderConfig.to_video_info`), the stream facts probed from its first file
# (``video.height``, ``video.fps``, ... :func:`lerec.encoding.probe.probe_stream_info`), and whether it is depth.
IS_DEPTH_MAP = "is_depth_map"
DEPTH_UNIT = "depth_unit"


def is_depth_feature(feature: Mapping[str, Any]) -> bool:
    """Whether a feature holds depth: flagged ``is_depth_map`` (lerec) or ``video.is_depth_map`` (LeRobot)."""
    info = feature.get("info") or {}
    return bool(info.get(IS_DEPTH_MAP) or info.get("video.is_depth_map"))


def depth_video_keys(features: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The video features that hold depth."""
    return [key for key, f in features.items() if f.get("dtype") == "video" and is_depth_feature(f)]


def encoding_info(config: Any) -> dict[str, Any]:
    """How ``config`` (an encoder config) encodes a stream, as info keys."""
    return {"video.codec": canonical_codec_name(config.vcodec), "video.pix_fmt": config.pix_fmt,
            **config.to_video_info()}


def recorded_info(config: Any, depth: bool, depth_unit: str | None = None) -> dict[str, Any]:
    """The info of a stream about to be recorded with ``config``, before its first file is probed."""
    info = {**encoding_info(config), IS_DEPTH_MAP: depth}
    if depth:
        info[DEPTH_UNIT] = depth_unit
    return info


def image_info(depth: bool) -> dict[str, Any] | None:
    """The info of a camera stream stored as images in the parquet."""
    return {IS_DEPTH_MAP: True, DEPTH_UNIT: "mm"} if depth else None


def with_stream_facts(info: Mapping[str, Any], probed: Mapping[str, Any]) -> dict[str, Any]:
    """``info`` completed by the stream facts probed from the feature's first file (what it says wins)."""
    return {**probed, **info, IS_DEPTH_MAP: info.get(IS_DEPTH_MAP, False)}


def has_stream_facts(info: Mapping[str, Any]) -> bool:
    return "video.height" in info


def as_video_info(info: Mapping[str, Any] | None, depth: bool) -> dict[str, Any]:
    """The info of an image feature turned into a video one."""
    out = {**(info or {}), IS_DEPTH_MAP: depth}
    if depth:
        out.setdefault(DEPTH_UNIT, "mm")
    return out


def reencoded_info(info: Mapping[str, Any], config: Any, probed: Mapping[str, Any]) -> dict[str, Any]:
    """A video feature's info after re-encoding with ``config``: new settings and stream facts, depth kept."""
    return {**info, **probed, **config.to_video_info(), "video.pix_fmt": probed.get("video.pix_fmt", config.pix_fmt)}


def converted_info(config: Any, probed: Mapping[str, Any]) -> dict[str, Any]:
    """What changes in a depth feature's info when its videos are converted with ``config`` (probed: the
    converted file); its quantization stays."""
    settings = {k: v for k, v in config.to_video_info().items() if k not in DEPTH_SETTINGS_KEYS}
    return {"video.codec": probed["video.codec"], "video.pix_fmt": probed["video.pix_fmt"], **settings}
