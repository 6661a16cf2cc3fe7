"""Parquet tables of a dataset: frame rows, episode rows and tasks, written as LeRobot reads them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.ma  # noqa: F401  imported once here, not lazily in the middle of the first episode's save
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (same: pyarrow imports it on the first concat/cast, ~0.2 s)
import pyarrow.parquet as pq

from lerec.dataset.spec import format as fmt
from lerec.dataset.store.atomic import replace_atomically

IMAGE_TYPE = pa.struct({"bytes": pa.binary(), "path": pa.string()})  # Hugging Face datasets' Image
# The episode labels' column types: fixed, so that a file whose episodes are all unlabelled has them too.
LABEL_TYPES = {fmt.SUCCESS: pa.bool_(), fmt.TAGS: pa.list_(pa.string()), fmt.NOTES: pa.string()}


def arrow_type(feature: Mapping[str, Any]) -> pa.DataType:
    """The parquet column type of a feature: an image struct, a scalar for shape [1], else a fixed-size list."""
    if feature["dtype"] == "image":
        return IMAGE_TYPE
    scalar = pa.from_numpy_dtype(np.dtype(feature["dtype"]))
    shape = list(feature["shape"])
    return scalar if shape == [1] else pa.list_(scalar, shape[0])


def frame_table(columns: Mapping[str, np.ndarray], features: Mapping[str, Mapping[str, Any]]) -> pa.Table:
    """Rows of frames: one column per non-video feature, values as (N,) or (N, D) arrays."""
    arrays, fields = [], []
    for key, values in columns.items():
        feature = features[key]
        typ = arrow_type(feature)
        fields.append(pa.field(key, typ))
        if typ == IMAGE_TYPE:
            arrays.append(pa.array(list(values), type=typ))
            continue
        values = np.asarray(values, dtype=feature["dtype"])
        if pa.types.is_fixed_size_list(typ):
            flat = pa.array(values.reshape(-1), type=typ.value_type)
            arrays.append(pa.FixedSizeListArray.from_arrays(flat, typ.list_size))
        else:
            arrays.append(pa.array(values.reshape(-1), type=typ))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


# Dictionary encoding only where a column holds a few values per file. Elsewhere (states, actions, images,
# statistics, provenance) pyarrow tries a dictionary, finds it too large and drops it, at a cost: 57 ms against
# 11 ms to write 35,000 rows of noisy floats, 44 ms against 15 ms for an episodes file of 100 rows, and both
# files come out smaller without.
FRAME_DICTIONARY_COLUMNS = (fmt.EPISODE_INDEX, fmt.TASK_INDEX)


def write_parquet(path: str | Path, table: pa.Table, dictionary: bool | Sequence[str] = False) -> None:
    """Write ``table`` atomically, one row group, snappy, as LeRobot does; ``dictionary``: which columns are
    dictionary-encoded (all, none, or those named)."""
    use_dictionary = dictionary if isinstance(dictionary, bool) else [c for c in dictionary if c in table.column_names]
    replace_atomically(path, lambda tmp: pq.write_table(table, tmp, compression="snappy",
                                                        use_dictionary=use_dictionary))


def write_data_file(path: str | Path, table: pa.Table) -> None:
    """Write a data file (frame rows)."""
    write_parquet(path, table, dictionary=FRAME_DICTIONARY_COLUMNS)


def append_rows(path: str | Path, table: pa.Table, existing: pa.Table | None = None) -> pa.Table:
    """Replace the data file at ``path`` by its rows followed by ``table``'s (the file is closed either way, so
    every saved episode survives a crash). ``existing``: the file's rows, when the caller still has them (saves
    reading them back). Returns the file's rows."""
    path = Path(path)
    if existing is None and path.exists():
        existing = pq.ParquetFile(path).read()  # not pq.read_table: that imports pyarrow.dataset (~0.2 s)
    if existing is not None:
        missing = [field for field in existing.schema if field.name not in table.column_names]
        if missing:  # columns the file has and lerec does not write (annotations): empty in the new rows
            for field in missing:
                table = table.append_column(field, pa.nulls(len(table), field.type))
            if set(table.column_names) == set(existing.schema.names):
                table = table.select(existing.schema.names)
        table = pa.concat_tables([existing, table.cast(existing.schema)])
    write_data_file(path, table)
    return table


def episodes_table(rows: Sequence[Mapping[str, Any]], known: Mapping[str, pa.DataType] | None = None) -> pa.Table:
    """Episode rows as a table. Column types are ``known``'s (those a file had: columns lerec does not define
    keep their type), else come from the values' Python types (a list's from its items): ~20x faster than
    pyarrow inferring each of a hundred-odd columns. pyarrow infers what that cannot type (None, empty lists,
    mixed ints and floats)."""
    rows = [dict(row) for row in rows]
    known = known or {}
    types: dict[str, pa.DataType | None] = {}
    for row in rows:
        for key, value in row.items():
            if types.get(key) is None:
                types[key] = LABEL_TYPES.get(key) or known.get(key) or _python_type(value)
    if all(t is not None for t in types.values()):
        try:
            return pa.Table.from_pylist(rows, schema=pa.schema(list(types.items())))
        except (pa.ArrowException, TypeError, ValueError):
            pass
    return pa.Table.from_pylist(rows)


def _python_type(value: Any) -> pa.DataType | None:
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.int64()
    if isinstance(value, float):
        return pa.float64()
    if isinstance(value, str):
        return pa.string()
    if isinstance(value, list) and value:
        kinds = set(map(type, value))
        if len(kinds) != 1:
            return None  # mixed ints and floats, say: pyarrow decides
        inner = {_python_type(item) for item in value} if kinds == {list} else {_python_type(value[0])}
        return pa.list_(inner.pop()) if len(inner) == 1 and None not in inner else None
    return None


def append_episode_row(table: pa.Table, row: Mapping[str, Any],
                       known: Mapping[str, pa.DataType] | None = None) -> pa.Table:
    """``table`` with ``row`` added; schemas are merged only when the row's differs (a new column, a column that
    was all null so far)."""
    added = episodes_table([row], known)
    options = "none" if added.schema == table.schema else "permissive"
    # One chunk per column: writing a chunk per row is ~5x slower.
    return pa.concat_tables([table, added], promote_options=options).combine_chunks()


def tasks_table(tasks: Sequence[str]) -> pa.Table:
    """``meta/tasks.parquet``: ``task_index`` with the task string as the pandas index named ``task``."""
    table = pa.table({"task_index": pa.array(range(len(tasks)), pa.int64()), "task": pa.array(list(tasks), pa.string())})
    pandas_meta = {
        "index_columns": ["task"],
        "column_indexes": [{"name": None, "field_name": None, "pandas_type": "unicode", "numpy_type": "object",
                            "metadata": {"encoding": "UTF-8"}}],
        "columns": [
            {"name": "task_index", "field_name": "task_index", "pandas_type": "int64", "numpy_type": "int64",
             "metadata": None},
            {"name": "task", "field_name": "task", "pandas_type": "unicode", "numpy_type": "object", "metadata": None},
        ],
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": "2.2.0",
    }
    return table.replace_schema_metadata({b"pandas": json.dumps(pandas_meta).encode()})

