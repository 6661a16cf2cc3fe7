"""A dataset's sensor streams on disk: their declaration (``meta/lerec_sensors.json``), each episode's files, and
what the tools do with them: place a recorded episode's files, take them out again (rollback, repair), copy them
byte for byte to another episode (merge, delete, split, the jobs), check them (validate).

Every path comes from :mod:`lerec.dataset.spec.format` and is confined to the root before it is touched.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from lerec.dataset.spec import format as fmt
from lerec.dataset.spec import layout
from lerec.dataset.spec.meta_schema import read_json
from lerec.dataset.store.atomic import fsync_dir, raise_disk_error, write_json_atomically
from lerec.encoding.audio import CODEC
from lerec.errors import DatasetError

VERSION = 1
NUMERIC_DTYPES = ("float32", "float64", "int16", "int32")  # as lerec.sensors.base takes them
AUDIO_DTYPES = ("int16",)
MAX_CHANNELS = 64


@attrs.frozen
class StreamDecl:
    """A declared stream: its key, the sensor and type that recorded it, and what its samples are."""

    key: str
    sensor: str
    type: str
    kind: str
    rate_hz: float
    channels: int
    dtype: str
    names: tuple[str, ...] | None = attrs.field(default=None, converter=lambda v: None if v is None else tuple(v))
    codec: str | None = None  # audio: how the samples are encoded

    @property
    def audio(self) -> bool:
        return self.kind == "audio"

    def to_json(self) -> dict[str, Any]:
        out = attrs.asdict(self)
        out["names"] = list(self.names) if self.names is not None else None
        return out

    @classmethod
    def from_json(cls, key: str, value: Any, source: Path) -> StreamDecl:
        """A stream as the declaration file states it, checked: a file names only what lerec can read."""
        layout.check_name(key, source, "sensor stream key")
        try:
            decl = cls(**{**value, "key": key})
        except (TypeError, ValueError) as exc:
            raise DatasetError(f"{source}: stream {key!r} is malformed ({exc})") from None
        dtypes = AUDIO_DTYPES if decl.kind == "audio" else NUMERIC_DTYPES
        if decl.kind not in ("numeric", "audio") or decl.dtype not in dtypes \
                or decl.codec != (CODEC if decl.audio else None) \
                or not (isinstance(decl.channels, int) and 1 <= decl.channels <= MAX_CHANNELS) \
                or not (isinstance(decl.rate_hz, (int, float)) and math.isfinite(decl.rate_hz) and decl.rate_hz > 0):
            raise DatasetError(f"{source}: stream {key!r} declares kind {decl.kind!r}, dtype {decl.dtype!r}, codec "
                               f"{decl.codec!r}, {decl.channels!r} channels at {decl.rate_hz!r} Hz: not a stream "
                               f"lerec reads (numeric: {', '.join(NUMERIC_DTYPES)}; audio: int16 {CODEC})")
        return decl


def load_declared(root: str | os.PathLike) -> dict[str, StreamDecl]:
    """The streams the dataset at ``root`` declares (none without the file)."""
    path = layout.confine(root, fmt.SENSORS_META_PATH)
    if not path.exists():
        return {}
    data = read_json(path)
    streams = data.get("streams") if isinstance(data, dict) else None
    if not isinstance(streams, dict):
        raise DatasetError(f"{path}: no 'streams' mapping")
    return {key: StreamDecl.from_json(key, value, path) for key, value in streams.items()}


def save_declared(root: str | os.PathLike, streams: Mapping[str, StreamDecl]) -> None:
    """Write the declaration (atomically); nothing is written for a dataset without streams."""
    if streams:
        write_json_atomically(layout.confine(root, fmt.SENSORS_META_PATH),
                              {"version": VERSION, "sensor_path": fmt.SENSOR_PATH, "audio_path": fmt.AUDIO_PATH,
                               "streams": {key: decl.to_json() for key, decl in streams.items()}})


def same_declared(first: Mapping[str, StreamDecl] | None, streams: Mapping[str, StreamDecl],
                  source: Any) -> dict[str, StreamDecl]:
    """The streams of an output built from sources: ``first`` (None: ``source`` is the first) and ``streams``
    (``source``'s) must be the same, else a DatasetError naming both."""
    if first is not None and dict(first) != dict(streams):
        raise DatasetError(f"{source} records sensor streams {sorted(streams) or 'none'} where the first source "
                           f"records {sorted(first) or 'none'} (or records them otherwise): sources must match")
    return dict(streams)


def episode_files(root: str | os.PathLike, decl: StreamDecl, episode: int, chunks_size: int) -> list[Path]:
    """The files of one episode of stream ``decl`` (confined to ``root``)."""
    return [layout.confine(root, rel) for rel in fmt.sensor_paths(decl.key, decl.audio, episode, chunks_size)]


def place_episode(root: str | os.PathLike, staged: Mapping[str, list[Path]], streams: Mapping[str, StreamDecl],
                  episode: int, chunks_size: int, before_replace: Callable[[Path], None]) -> list[Path]:
    """Move each stream's staged files (fsync'd) to where episode ``episode``'s go, telling ``before_replace``
    (a save's rollback) of each first; returns the placed files."""
    placed = []
    for key, files in staged.items():
        for src, dst in zip(files, episode_files(root, streams[key], episode, chunks_size), strict=True):
            before_replace(dst)
            try:
                with open(src, "rb+") as f:
                    os.fsync(f.fileno())
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
                fsync_dir(dst.parent)
            except OSError as exc:
                raise_disk_error(dst, exc)
                raise
            placed.append(dst)
    return placed


def cut_to(root: str | os.PathLike, episodes: int, chunks_size: int) -> list[Path]:
    """Delete the sensor files of episodes from ``episodes`` on; returns them."""
    removed = layout.sensor_files_from(root, episodes, chunks_size)
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def copy_episode(src_root: Path, src_episode: int, src_chunks: int, dst_root: Path, dst_episode: int,
                 dst_chunks: int, streams: Mapping[str, StreamDecl], verify: Callable[[Path], None]) -> None:
    """Copy one episode's files of every stream byte for byte to another episode (of another dataset), each
    checked first by ``verify`` (against its committed checksum: a copy gets a checksum of its own)."""
    for decl in streams.values():
        sources = episode_files(src_root, decl, src_episode, src_chunks)
        for src, dst in zip(sources, episode_files(dst_root, decl, dst_episode, dst_chunks), strict=True):
            if not src.is_file():
                raise DatasetError(f"{src}: episode {src_episode} of stream {decl.key} is missing")
            verify(src)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)


def check_files(root: str | os.PathLike, streams: Mapping[str, StreamDecl], episodes: int,
                chunks_size: int) -> list[tuple[str, int | None, str]]:
    """(message, episode, stream) of every episode file that is missing, and of every file no episode owns."""
    problems: list[tuple[str, int | None, str]] = []
    for decl in streams.values():
        for e in range(episodes):
            for path in episode_files(root, decl, e, chunks_size):
                if not path.is_file():
                    problems.append((f"{path.relative_to(root)} is missing", e, decl.key))
    for path, key, episode in layout.sensor_files(root, chunks_size):
        if key not in streams or episode >= episodes:
            problems.append((f"{path.relative_to(root)} belongs to no episode of a declared stream (an unfinished "
                             "save? `lerec record --resume` cuts it)", None, key))
    return problems


def size_bytes(root: str | os.PathLike, decl: StreamDecl, episodes: int, chunks_size: int) -> int:
    """Bytes the stream's files take."""
    return sum(p.stat().st_size for e in range(episodes) for p in episode_files(root, decl, e, chunks_size)
               if p.is_file())


def summarize_streams(root: str | os.PathLike, episodes: int, duration_s: float,
                      chunks_size: int) -> dict[str, dict[str, Any]]:
    """Per declared stream: what it records, its samples (from the files' metadata, nothing decoded), the rate
    they make over the episodes' duration, and the bytes its files take."""
    import pyarrow.parquet as pq

    out = {}
    for key, decl in load_declared(root).items():
        samples = 0
        for e in range(episodes):
            times = episode_files(root, decl, e, chunks_size)[0]
            if times.is_file():
                samples += pq.ParquetFile(times).metadata.num_rows
        out[key] = {"sensor": decl.sensor, "type": decl.type, "kind": decl.kind, "rate_hz": decl.rate_hz,
                    "channels": decl.channels, "dtype": decl.dtype, "codec": decl.codec, "samples": samples,
                    "measured_hz": round(samples / duration_s, 2) if duration_s else None,
                    "bytes": size_bytes(root, decl, episodes, chunks_size)}
    return out
