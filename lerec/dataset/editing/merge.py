"""Merging datasets recorded alike into one, without re-encoding any video.

fps, robot_type and every feature must match, except the encoder-tuning keys of a video's ``info``: where all
sources agree the value is kept, otherwise it becomes null (``{}`` for ``extra_options``) with a warning.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from lerec.dataset.editing.assemble import (
    DatasetAssembler,
    check_output_not_source,
    is_built_column,
    output_folder,
)
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.spec import format as fmt
from lerec.dataset.spec import layout
from lerec.dataset.spec.features import DEFAULT_FEATURES
from lerec.encoding.video_encoding import ENCODER_SETTINGS_KEYS, info_key
from lerec.errors import DatasetError, DatasetRequestError

log = logging.getLogger(__name__)

TUNING_KEYS = ENCODER_SETTINGS_KEYS
EXTRA_OPTIONS = info_key("extra_options")
# Facts that only describe a file's bitstream and may differ without harm.
IGNORED_KEYS = ("has_audio",)


def merged_features(readers: Iterable[DatasetReader]) -> dict[str, dict[str, Any]]:
    """The features of the merged dataset; raises DatasetError naming the dataset, feature and field that differ
    (or the column, when a column lerec copies as it is has two types). Each reader but the first is needed only
    while it is compared (``readers`` may open them one at a time)."""
    readers = iter(readers)
    first = next(readers)
    result = copy.deepcopy(first.features)
    seen: dict[tuple[str, str], tuple[pa.DataType, Path]] = {}
    _check_extra_column_types(first, seen)
    for other in readers:
        name = other.root / fmt.INFO_PATH  # where what differs is declared
        if other.fps != first.fps:
            raise DatasetRequestError(f"{name}: fps {other.fps} differs from {first.root}'s {first.fps}")
        if other.meta.info.get("robot_type") != first.meta.info.get("robot_type"):
            raise DatasetRequestError(f"{name}: robot_type {other.meta.info.get('robot_type')!r} differs from "
                               f"{first.root}'s {first.meta.info.get('robot_type')!r}")
        missing = set(first.features) ^ set(other.features)
        if missing:
            key = sorted(missing)[0]
            where = "has" if key in other.features else "lacks"
            raise DatasetError(f"{name}: {where} feature {key!r}, unlike {first.root}")
        for key, feature in other.features.items():
            want = result[key]
            for field in ("dtype", "shape", "names"):
                if _norm(feature.get(field)) != _norm(want.get(field)):
                    raise DatasetRequestError(f"{name}: feature {key!r} field {field!r} is {feature.get(field)!r}, "
                                       f"{first.root} has {want.get(field)!r}")
            info, merged = feature.get("info") or {}, want.get("info") or {}
            for field in sorted(set(info) | set(merged)):
                if field in IGNORED_KEYS or info.get(field) == merged.get(field):
                    continue
                if field in TUNING_KEYS:
                    if merged.get(field) not in (None, {}):
                        log.warning("%s: %s differs between the sources (%r, %r); set to %s in the merged dataset",
                                    key, field, merged.get(field), info.get(field),
                                    "{}" if field == EXTRA_OPTIONS else "null")
                    merged[field] = {} if field == EXTRA_OPTIONS else None
                    continue
                raise DatasetRequestError(f"{name}: feature {key!r} field {field!r} is {info.get(field)!r}, "
                                   f"{first.root} has {merged.get(field)!r}")
        _check_extra_column_types(other, seen)
    return result


def _check_extra_column_types(reader: DatasetReader, seen: dict[tuple[str, str], tuple[pa.DataType, Path]]) -> None:
    """A column merge copies as it is (one lerec does not define) has one type in every source that has it
    (``seen``: the first type and source of each); else a DatasetError naming the column, the two types and the
    two sources."""
    for (where, column), typ in _extra_column_types(reader).items():
        first = seen.setdefault((where, column), (typ, reader.root))
        if first[0] != typ:
            raise DatasetRequestError(f"{reader.root}: {where} column {column!r} is {typ}, {first[1]} has {first[0]}; "
                               "merge keeps such columns as they are, so their types must match")


def _extra_column_types(reader: DatasetReader) -> dict[tuple[str, str], pa.DataType]:
    """The types of the columns lerec copies as they are: ('episode row', name) of the episode rows, ('data',
    name) of the data files (language annotations, a user's own); all-null columns take any type."""
    types = {("episode row", name): typ for name, typ in reader.meta.extra_types.items() if typ != pa.null()}
    for path in layout.find(reader.root, fmt.DATA_FILES):
        for field in pq.read_schema(path):
            feature = reader.features.get(field.name)
            copied = field.name not in DEFAULT_FEATURES and not (feature and is_built_column(feature))
            if copied and field.type != pa.null():
                types.setdefault(("data", field.name), field.type)
    return types


def _norm(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def merge_features(sources: Sequence[str | os.PathLike], output: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """The merged dataset's features, checked before anything is written: two sources at least, ``output`` none of
    them, and sources recorded alike (see :func:`merged_features`)."""
    if len(sources) < 2:
        raise DatasetRequestError("merge needs at least two datasets")
    check_output_not_source(output, list(sources))
    # One source open at a time: a source's metadata (its episode rows) is as large as the rows it adds.
    return merged_features(opened_in_turn(sources))


def merge_datasets(sources: Sequence[str | os.PathLike], output: str | os.PathLike,
                   progress: Callable[[int], None] | None = None) -> Path:
    """Write the episodes of ``sources``, in order, as one dataset at ``output``; returns ``output``."""
    features = merge_features(sources, output)
    with output_folder(output) as tmp:
        out = None
        for reader in opened_in_turn(sources):
            if out is None:
                out = DatasetAssembler(tmp, reader.fps, features, reader.meta.info.get("robot_type"))
            for e in range(reader.num_episodes):
                out.add(reader, e)
                if progress:
                    progress(1)
        out.finish()
    return Path(output)


def opened_in_turn(sources: Sequence[str | os.PathLike]) -> Iterator[DatasetReader]:
    """Each source's reader in turn, closed before the next opens."""
    for source in sources:
        reader = DatasetReader(source)
        try:
            yield reader
        finally:
            reader.close()


def count_episodes(sources: Sequence[str | os.PathLike]) -> int:
    from lerec.dataset.store.metadata import DatasetMeta

    return sum(len(DatasetMeta.load(s).episodes) for s in sources)
