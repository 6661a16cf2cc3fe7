"""Frame rows of a dataset's data parquet files, held as numpy columns and found by global frame index."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from lerec.dataset.spec.features import DEFAULT_FEATURES, NUMERIC_DTYPES
from lerec.dataset.spec.meta_schema import check_data_table, read_parquet
from lerec.errors import DatasetError, one_line


def column_to_numpy(column: pa.ChunkedArray) -> np.ndarray | list:
    """Scalars as (N,), fixed-size lists as (N, D); anything else (structs such as images) as a list."""
    typ = column.type
    if pa.types.is_fixed_size_list(typ):
        flat = column.combine_chunks().flatten().to_numpy(zero_copy_only=False)
        return flat.reshape(len(column), typ.list_size)
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        values = column.to_pylist()
        try:
            return np.asarray(values)
        except ValueError:
            return values
    if pa.types.is_struct(typ) or pa.types.is_binary(typ) or pa.types.is_string(typ):
        return column.to_pylist()
    return column.to_numpy()


class RowFile:
    """One data parquet file: its columns and where each global ``index`` sits in it. With ``features`` (those
    of info.json), a column missing or holding something other than the feature's numbers is an error.
    ``carried``: the columns that are neither numbers nor images of a feature (strings, LeRobot's language
    annotations, a user's own), kept as arrow so that copying them keeps their type."""

    def __init__(self, path: str | Path, features: Mapping[str, Mapping[str, Any]] | None = None):
        self.path = Path(path)
        table = read_parquet(self.path)
        check_data_table(table, self.path, dict(features or {}))
        index = table.column("index") if "index" in table.column_names else None
        if index is None or not pa.types.is_integer(index.type) or index.null_count:
            raise DatasetError(f"{self.path}: no 'index' column of integers")
        try:
            self.columns: dict[str, Any] = {name: column_to_numpy(table.column(name)) for name in table.column_names}
        except (pa.ArrowException, ValueError) as exc:
            raise DatasetError(f"{self.path}: cannot convert its columns ({one_line(exc)})") from None
        built = {key for key, f in (features or {}).items() if f["dtype"] in NUMERIC_DTYPES or f["dtype"] == "image"}
        self.carried = table.select([name for name in table.column_names
                                     if name not in built and name not in DEFAULT_FEATURES])
        index = np.asarray(self.columns["index"], dtype=np.int64)
        self._order = None if np.all(np.diff(index) > 0) else np.argsort(index, kind="stable")
        self._sorted = index if self._order is None else index[self._order]

    def __len__(self) -> int:
        return len(self._sorted)

    def positions(self, start: int, stop: int) -> np.ndarray:
        """Row positions of global indices ``start..stop-1``; raises if any is missing."""
        wanted = np.arange(start, stop, dtype=np.int64)
        pos = np.searchsorted(self._sorted, wanted)
        ok = (pos < len(self._sorted)) & (self._sorted[np.minimum(pos, len(self._sorted) - 1)] == wanted)
        if not ok.all():
            missing = int(wanted[~ok][0])
            raise DatasetError(f"{self.path}: no row with index {missing}")
        return pos if self._order is None else self._order[pos]

    def take(self, positions: np.ndarray) -> dict[str, Any]:
        out = {}
        for name, values in self.columns.items():
            if isinstance(values, np.ndarray):
                out[name] = values[positions]
            else:
                out[name] = [values[p] for p in positions]
        return out
