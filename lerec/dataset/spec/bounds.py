"""What a dataset's episode rows may ask for, bounded by what its files hold.

An episode row says where its frames are and how many there are; readers allocate by those numbers. So, when the
metadata is loaded, every location is an integer from 0 to MAX_INDEX (checked with the episodes file's other
columns, by :func:`lerec.dataset.spec.meta_schema.check_episodes_table`) and the length of every committed episode
(below info.json's ``total_episodes``) is at most the rows its data file holds: a hostile ``length: 1e9`` is an
error, not 24 GB of indices. A row beyond the commit may be ahead of its frames (a save interrupted between writing the
row and the rows; ``--resume`` removes it), so its length is bounded by a ceiling instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from lerec.dataset.spec import format as fmt
from lerec.errors import DatasetError

# The most frames an uncommitted episode row may claim beyond what its data file holds: 2**22, 11.6 h at 100 fps.
MAX_UNWRITTEN_LENGTH = 1 << 22
# Seconds a video timestamp may reach (30 years); beyond, seeks overflow.
MAX_TIMESTAMP_S = 1e9
# The most values a feature's shape may give one frame (2**30: a 16K x 16K RGB frame is 0.8 * 2**30); beyond, a
# shape is not a camera's or a robot's and a tool would try to allocate it.
MAX_FRAME_VALUES = 1 << 30
# The largest index or count a row may hold (2**40 frames: 348 years at 100 fps); beyond, int64 sums overflow.
MAX_INDEX = 1 << 40


class EpisodeSource(Protocol):
    info: dict[str, Any]
    episodes: list[fmt.EpisodeRow]

    def data_file(self, row: fmt.EpisodeRow) -> Path: ...


def _count(row: Mapping[str, Any], column: str, where: str) -> int:
    value = row.get(column)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INDEX:
        raise DatasetError(f"{where}: {column} is {value!r}, not an integer from 0 to 2**40")
    return value


def _data_rows(path: Path) -> int | None:
    if not path.exists():
        return None
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, pa.ArrowException) as exc:
        raise DatasetError(f"{path}: cannot read parquet ({exc})") from None


def check_episode_rows(meta: EpisodeSource, source: str) -> None:
    """Every episode row of ``meta`` (loaded from ``source``, the meta/episodes folder, its values checked by
    :func:`lerec.dataset.spec.meta_schema.check_episodes_table`) has a length that fits in its data file (or, beyond the
    commit, under a ceiling); else a DatasetError naming the row, the value and the file."""
    held: dict[fmt.FileAddress, tuple[Path, int | None]] = {}  # rows per data file
    committed = meta.info.get("total_episodes", len(meta.episodes))
    for position, row in enumerate(meta.episodes):
        where = f"{source} episode {position}"
        location = row.data
        if location not in held:
            path = meta.data_file(row)
            held[location] = (path, _data_rows(path))
        (path, rows), length = held[location], row.length
        limit = (rows or 0) if row.index < committed else max(rows or 0, MAX_UNWRITTEN_LENGTH)
        if length > limit:
            holds = "is missing" if rows is None else f"holds {rows} rows"
            raise DatasetError(f"{where}: length {length}, but its data file {path} {holds}")


def check_info_sizes(info: Mapping[str, Any], source: str) -> None:
    """info.json's numbers that lerec computes with are integers in a sane range."""
    for name in ("total_episodes", "total_frames", "total_tasks"):
        if name in info:
            _count(info, name, source)
    if "chunks_size" in info and _count(info, "chunks_size", source) < 1:
        raise DatasetError(f"{source}: chunks_size is 0, not a positive integer")

