"""What the files of ``meta/`` must hold before any tool reads them: checked once, when they are loaded.

A dataset comes from a disk, a crash, a download or another program. Every key, type and column a tool relies
on is checked here, so that damage is a :class:`DatasetError` naming the file and what is wrong in it, never a
``KeyError`` or a ``ZeroDivisionError`` deep inside a tool.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lerec.dataset.spec import format as fmt
from lerec.dataset.spec.bounds import MAX_FRAME_VALUES, MAX_INDEX, MAX_TIMESTAMP_S
from lerec.dataset.spec.features import DEFAULT_FEATURES, NUMERIC_DTYPES, declared_frame_size
from lerec.encoding.video_encoding import HEIGHT, WIDTH, info_key
from lerec.errors import DatasetError, one_line

FEATURE_DTYPES = NUMERIC_DTYPES | {"video", "image", "string", "language"}  # language: LeRobot's annotations
# Top-level keys of info.json as LeRobot v3.0 writes them: what each must be.
WHOLE = "a whole number"
INFO_NUMBERS = {
    "fps": (WHOLE, 1), "total_episodes": (WHOLE, 0), "total_frames": (WHOLE, 0), "total_tasks": (WHOLE, 0),
    "chunks_size": (WHOLE, 1), "data_files_size_in_mb": ("a number", 0), "video_files_size_in_mb": ("a number", 0),
}
DEPTH_NUMBERS = tuple(map(info_key, ("depth_min", "depth_max", "shift")))
USE_LOG = info_key("use_log")


def read_json(path: Path) -> Any:
    """The JSON value in the file at ``path``; DatasetError when it cannot be read or parsed."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DatasetError(f"{path}: not valid JSON ({one_line(exc)})") from None


def read_parquet(path: Path) -> pa.Table:
    """The table in the parquet file at ``path``; DatasetError when it is missing or cannot be decoded."""
    if not path.is_file():
        raise DatasetError(f"{path} is missing")
    try:
        return pq.ParquetFile(path).read()  # not pq.read_table: that imports pyarrow.dataset (~0.2 s)
    except (OSError, pa.ArrowException, ValueError, EOFError) as exc:
        raise DatasetError(f"{path}: cannot read parquet ({one_line(exc)})") from None


def _is_number(value: Any, whole: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) if whole else math.isfinite(value)


def check_info(info: Any, path: Path) -> dict[str, Any]:
    """``info`` (the parsed info.json at ``path``) if every key a tool reads is there with the right type."""
    if not isinstance(info, dict):
        raise DatasetError(f"{path}: holds a JSON {type(info).__name__}, expected an object")
    for key, (kind, least) in INFO_NUMBERS.items():
        value = info.get(key)
        if not _is_number(value, kind == WHOLE) or value < least:
            raise DatasetError(f"{path}: {key} is {value!r}, expected {kind} >= {least}")
    features = info.get("features")
    if not isinstance(features, dict) or not features:
        raise DatasetError(f"{path}: features is {_short(features)}, expected an object of feature descriptions")
    for key, feature in features.items():
        _check_feature(key, feature, path)
    missing = [k for k in DEFAULT_FEATURES if k not in features]
    if missing:
        raise DatasetError(f"{path}: features lack the default feature {missing[0]!r}")
    videos = any(f["dtype"] == "video" for f in features.values())
    for key in ("data_path", "video_path"):
        value = info.get(key)
        if not isinstance(value, str) and (key == "data_path" or videos or value is not None):
            raise DatasetError(f"{path}: {key} is {value!r}, expected a path template"
                               + (" (the dataset has video features)" if key == "video_path" else ""))
    if not isinstance(info.get("robot_type"), (str, type(None))):
        raise DatasetError(f"{path}: robot_type is {info.get('robot_type')!r}, expected a string or null")
    return info


def _check_feature(key: str, feature: Any, path: Path) -> None:
    where = f"{path}: feature {key!r}"
    if not isinstance(feature, dict):
        raise DatasetError(f"{where} is {_short(feature)}, expected an object with dtype and shape")
    if not isinstance(feature.get("dtype"), str) or feature["dtype"] not in FEATURE_DTYPES:
        raise DatasetError(f"{where}: dtype {_short(feature.get('dtype'))} is not one of "
                           f"{', '.join(sorted(FEATURE_DTYPES))}")
    shape = feature.get("shape")
    if (not isinstance(shape, list) or not shape or not all(_is_number(n, True) and n >= 1 for n in shape)
            or (feature["dtype"] in ("video", "image") and len(shape) != 3)):
        raise DatasetError(f"{where}: shape {_short(shape)} is not a list of sizes >= 1"
                           + (" [height, width, channels]" if feature["dtype"] in ("video", "image") else ""))
    if math.prod(shape) > MAX_FRAME_VALUES:
        raise DatasetError(f"{where}: shape {_short(shape)} makes {math.prod(shape):.3g} values a frame, more than "
                           "2**30: not a camera's or a robot's")
    info = feature.get("info")
    if not isinstance(info, (dict, type(None))):
        raise DatasetError(f"{where}: info is {_short(info)}, expected an object")
    for name in DEPTH_NUMBERS:  # read by every tool that shows depth
        if (info or {}).get(name) is not None and not _is_number(info[name], False):
            raise DatasetError(f"{where}: info {name} is {_short(info[name])}, expected a number")
    probed = ((info or {}).get(HEIGHT), (info or {}).get(WIDTH))
    if feature["dtype"] == "video" and all(_is_number(n, True) for n in probed) \
            and probed != declared_frame_size(feature):
        raise DatasetError(f"{where}: shape {_short(shape)} but info {HEIGHT}/width {probed[0]}x{probed[1]} (the "
                           "stream's): one of them is wrong")
    if (info or {}).get(USE_LOG) not in (None, True, False):
        raise DatasetError(f"{where}: info {USE_LOG} is {_short(info[USE_LOG])}, expected true or false")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_episodes_table(table: pa.Table, path: Path, video_keys: list[str]) -> list[dict[str, Any]]:
    """The rows of a ``meta/episodes`` file, if it has every column a tool reads, typed and filled."""
    wanted = {c: WHOLE for c in fmt.EPISODE_INT_COLUMNS}
    for key in video_keys:
        wanted.update({fmt.video_column(key, name): WHOLE if name.endswith("_index") else "a number"
                       for name in fmt.VIDEO_COLUMN_NAMES})
    missing = [c for c in wanted if c not in table.column_names]
    if missing:
        raise DatasetError(f"{path}: no column {missing[0]!r}")
    try:
        rows = table.to_pylist()
    except (pa.ArrowException, ValueError, OverflowError) as exc:
        raise DatasetError(f"{path}: cannot convert its rows ({one_line(exc)})") from None
    # Checked in Python: a file holds at most a few hundred rows, and a compute call per column costs more.
    for i, row in enumerate(rows):
        for column, kind in wanted.items():
            value, least = row[column], 1 if column == fmt.LENGTH else 0
            most = MAX_INDEX if kind == WHOLE else MAX_TIMESTAMP_S  # beyond, int64 sums and seeks overflow
            if not _is_number(value, kind == WHOLE) or not least <= value <= most:
                raise DatasetError(f"{path}: row {i} column {column!r} is {_short(value)}, expected {kind} from "
                                   f"{least} to {most:.0f}")
        tasks = row.get(fmt.TASKS)
        if tasks is not None and (not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks)):
            raise DatasetError(f"{path}: row {i} column 'tasks' is {_short(tasks)}, expected a list of strings")
    _check_episode_stats(rows, path)
    return rows


def _check_episode_stats(rows: list[dict[str, Any]], path: Path) -> None:
    """Each feature's ``stats/<feature>/<stat>`` columns: numbers, every statistic the aggregation reads, and
    one shape per statistic (``mean`` and ``std`` alike) in every row, as aggregating them needs."""
    shapes: dict[str, tuple[int, ...]] = {}
    for i, row in enumerate(rows):
        features: dict[str, dict[str, tuple[int, ...]]] = {}
        for column, value in row.items():
            parsed = fmt.parse_stats_column(column)
            if parsed is None or value is None:
                continue
            feature, name = parsed
            try:
                shape = np.asarray(value, dtype=np.float64).shape
            except (TypeError, ValueError, OverflowError):
                raise DatasetError(f"{path}: row {i} column {column!r} is {_short(value)}, expected numbers") from None
            if shapes.setdefault(column, shape) != shape:
                raise DatasetError(f"{path}: row {i} column {column!r} has shape {shape}, "
                                   f"earlier rows {shapes[column]}")
            if name == "count" and not np.prod(shape):
                raise DatasetError(f"{path}: row {i} column {column!r} is empty")
            features.setdefault(feature, {})[name] = shape
        for feature, names in features.items():
            missing = [n for n in ("min", "max", "mean", "std", "count") if n not in names]
            if missing:
                raise DatasetError(f"{path}: row {i} has stats/{feature}/mean but no stats/{feature}/{missing[0]}")
            if len({shape for n, shape in names.items() if n != "count"}) > 1:
                raise DatasetError(f"{path}: row {i} stats/{feature}/* have different shapes ({names})")


def check_episode_indices(episodes: list[dict[str, Any]], folder: Path) -> None:
    """Episode rows (sorted) must be numbered 0..N-1: every tool finds episode ``e`` at position ``e``."""
    for i, row in enumerate(episodes):
        if row[fmt.EPISODE_INDEX] != i:
            found = "twice" if i and row[fmt.EPISODE_INDEX] == episodes[i - 1][fmt.EPISODE_INDEX] else "missing"
            raise DatasetError(f"{folder}: episode_index values are not 0..{len(episodes) - 1} "
                               f"(episode {i if found == 'missing' else row[fmt.EPISODE_INDEX]} is {found})")


def check_tasks_table(table: pa.Table, path: Path) -> list[str]:
    """Task strings ordered by ``task_index``, which must number them 0..N-1."""
    for column, ok in ((fmt.TASK_INDEX, pa.types.is_integer), (fmt.TASK, pa.types.is_string)):
        if column not in table.column_names:
            raise DatasetError(f"{path}: no column {column!r}")
        values = table.column(column)
        if not ok(values.type) or values.null_count:
            raise DatasetError(f"{path}: column {column!r} holds {values.type}"
                               + (f" with {values.null_count} empty value(s)" if values.null_count else ""))
    pairs = sorted(zip(table.column(fmt.TASK_INDEX).to_pylist(), table.column(fmt.TASK).to_pylist()))
    if [i for i, _ in pairs] != list(range(len(pairs))):
        raise DatasetError(f"{path}: task_index values are not 0..{len(pairs) - 1}")
    return [task for _, task in pairs]


def check_data_table(table: pa.Table, path: Path, features: dict[str, dict[str, Any]]) -> None:
    """A data file must hold a column for every feature that is not a video, numeric ones with numbers."""
    for key, feature in features.items():
        dtype = feature["dtype"]
        if dtype == "video":
            continue
        if key not in table.column_names:
            raise DatasetError(f"{path}: no column {key!r} (a feature of meta/info.json)")
        if dtype not in NUMERIC_DTYPES:
            continue
        column = table.column(key)
        typ, size = column.type, feature["shape"][0] if len(feature["shape"]) == 1 else None
        listed = pa.types.is_fixed_size_list(typ) or pa.types.is_list(typ) or pa.types.is_large_list(typ)
        scalar = typ.value_type if listed else typ
        if not (pa.types.is_integer(scalar) or pa.types.is_floating(scalar) or pa.types.is_boolean(scalar)):
            raise DatasetError(f"{path}: column {key!r} holds {typ}, expected {dtype} numbers")
        if column.null_count or (listed and pc.list_flatten(column).null_count):
            raise DatasetError(f"{path}: column {key!r} has empty values")
        if listed and len(column) and size is not None:
            lengths = pc.list_value_length(column)
            if pc.min(lengths).as_py() != size or pc.max(lengths).as_py() != size:
                raise DatasetError(f"{path}: column {key!r} holds lists that are not {size} long "
                                   f"(the shape in meta/info.json)")
        elif not listed and size not in (1, None):
            raise DatasetError(f"{path}: column {key!r} holds single numbers, meta/info.json says shape "
                               f"{feature['shape']}")
