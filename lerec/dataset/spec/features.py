"""Feature descriptions as LeRobot writes them in ``meta/info.json``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lerec.errors import DatasetError

DEFAULT_FEATURES: dict[str, dict[str, Any]] = {
    "timestamp": {"dtype": "float32", "shape": [1], "names": None},
    "frame_index": {"dtype": "int64", "shape": [1], "names": None},
    "episode_index": {"dtype": "int64", "shape": [1], "names": None},
    "index": {"dtype": "int64", "shape": [1], "names": None},
    "task_index": {"dtype": "int64", "shape": [1], "names": None},
}
NUMERIC_DTYPES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "bool"}


def normalize_numeric_feature(key: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """A user's feature spec (``{"dtype", "shape", "names"?}``) checked and in info.json form."""
    if "/" in key:
        raise DatasetError(f"feature name {key!r} may not contain '/'")
    if key in DEFAULT_FEATURES or key.startswith("observation.images."):
        raise DatasetError(f"feature name {key!r} is reserved")
    dtype = str(spec.get("dtype", ""))
    if dtype not in NUMERIC_DTYPES:
        raise DatasetError(f"feature {key!r}: dtype {dtype!r} is not one of {', '.join(sorted(NUMERIC_DTYPES))}")
    shape = [int(n) for n in spec.get("shape", ())]
    if len(shape) != 1 or shape[0] < 1:
        raise DatasetError(f"feature {key!r}: shape must be [n] with n >= 1, got {list(shape)}")
    names = spec.get("names")
    if names is not None and isinstance(names, list) and len(names) != shape[0]:
        raise DatasetError(f"feature {key!r}: {len(names)} names for shape {shape}")
    return {"dtype": dtype, "shape": shape, "names": names}


def infer_feature(key: str, value: Any) -> dict[str, Any]:
    """A feature spec guessed from one value returned by ``step`` (used when none was declared)."""
    array = np.asarray(value)
    dtype = "float32" if array.dtype.kind == "f" else ("bool" if array.dtype.kind == "b" else "int64")
    return normalize_numeric_feature(key, {"dtype": dtype, "shape": [max(1, array.size)]})


def video_feature(height: int, width: int, channels: int, info: dict[str, Any], dtype: str = "video") -> dict[str, Any]:
    return {"dtype": dtype, "shape": [height, width, channels], "names": ["height", "width", "channels"], "info": info}


def declared_frame_size(feature: Mapping[str, Any]) -> tuple[int, int]:
    """(height, width) of a camera feature's ``shape``: [height, width, channels] unless its ``names`` order it
    otherwise (datasets converted from LeRobot v2 may say ["channels", "height", "width"])."""
    names, shape = feature.get("names"), list(feature["shape"])
    if isinstance(names, list) and "height" in names and "width" in names and len(names) == len(shape):
        return shape[names.index("height")], shape[names.index("width")]
    return shape[0], shape[1]
