"""Depth maps to 12-bit codes and back (log or linear), per the formulas in the encoding spec.

Input unit follows the dtype: integer arrays are millimetres, floating arrays metres; ``depth_min``,
``depth_max`` and ``shift`` are always metres. Integer input goes through a 65,536-entry table built once per
set of parameters, so quantizing a VGA uint16 frame is one gather (well under 1 ms).

Code 0 is reserved for "no data": a pixel the sensor left at 0 (or a float pixel that is 0, negative or not
finite) gets code 0, and every measured depth gets a code in [1, 4095] (a depth that LeRobot's formula would
round to 0, i.e. closer than ``depth_min`` + half a step, is stored as 1). lerec's :func:`dequantize_depth`
returns 0 for code 0. The codes remain plain LeRobot codes: LeRobot's reader applies the same inverse formula
to codes 1..4095 and reads code 0 as ``depth_min``, as it does for its own recordings.
"""

from __future__ import annotations

import functools
import math
from typing import Literal, Protocol

import numpy as np

from lerec.errors import EncoderConfigError

MAX_CODE = 4095
NO_DATA_CODE = 0
MM_PER_M = 1000.0


class DepthParams(Protocol):
    """What quantization reads from a config (``DepthEncoderConfig`` has these fields)."""

    depth_min: float
    depth_max: float
    shift: float
    use_log: bool


def _params(config: DepthParams) -> tuple[float, float, float, bool]:
    """Validated ``(depth_min, depth_max, shift, use_log)``; raises EncoderConfigError naming the bad field."""
    values = {}
    for name in ("depth_min", "depth_max", "shift"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise EncoderConfigError(f"depth encoder {name}={value!r}: must be a finite number of metres")
        values[name] = float(value)
    lo, hi, shift = values["depth_min"], values["depth_max"], values["shift"]
    if lo < 0:
        raise EncoderConfigError(f"depth encoder depth_min={lo!r}: must be >= 0 metres")
    if hi <= lo:
        raise EncoderConfigError(f"depth encoder depth_max={hi!r}: must be greater than depth_min={lo!r}")
    use_log = bool(config.use_log)
    if use_log and lo + shift <= 0:
        raise EncoderConfigError(
            f"depth encoder shift={shift!r}: log quantization needs depth_min + shift > 0 (depth_min={lo!r})"
        )
    return lo, hi, shift, use_log


def _codes_from_metres(metres: np.ndarray, params: tuple[float, float, float, bool], dtype=np.float64) -> np.ndarray:
    lo, hi, shift, use_log = params
    valid = np.isfinite(metres) & (metres > 0)
    x = metres.astype(dtype)  # a copy we own: the rest is in place
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if use_log:
            log_lo, log_hi = math.log(lo + shift), math.log(hi + shift)
            # Below -shift the log is undefined; such depths are below depth_min and clip to code 1.
            np.add(x, shift, out=x)
            np.maximum(x, np.finfo(dtype).tiny, out=x)
            np.log(x, out=x)
            np.subtract(x, log_lo, out=x)
            span = log_hi - log_lo
        else:
            np.subtract(x, lo, out=x)
            span = hi - lo
        # The spec's operation order, so that float64 ties round as the formula does.
        np.multiply(x, MAX_CODE, out=x)
        np.divide(x, span, out=x)
        np.rint(x, out=x)
        np.clip(x, 1, MAX_CODE, out=x)
    x[~valid] = NO_DATA_CODE  # NaN stays NaN through clip; never cast it
    return x.astype(np.uint16)


def _metres_from_codes(codes: np.ndarray, params: tuple[float, float, float, bool]) -> np.ndarray:
    lo, hi, shift, use_log = params
    if use_log:
        log_lo, log_hi = math.log(lo + shift), math.log(hi + shift)
        metres = np.exp(codes * ((log_hi - log_lo) / MAX_CODE) + log_lo) - shift
    else:
        metres = lo + codes * ((hi - lo) / MAX_CODE)
    return np.clip(metres, lo, hi)


@functools.lru_cache(maxsize=16)
def _mm_to_code_table(params: tuple[float, float, float, bool]) -> np.ndarray:
    table = _codes_from_metres(np.arange(65536, dtype=np.float64) / MM_PER_M, params)
    table.flags.writeable = False
    return table


@functools.lru_cache(maxsize=32)
def _code_table(params: tuple[float, float, float, bool], unit: str) -> np.ndarray:
    metres = _metres_from_codes(np.arange(MAX_CODE + 1, dtype=np.float64), params)
    if unit == "mm":
        table = np.rint(metres * MM_PER_M).astype(np.uint16)
    else:
        table = metres.astype(np.float32)
    table[NO_DATA_CODE] = 0
    table.flags.writeable = False
    return table


def quantize_depth(depth: np.ndarray, config: DepthParams) -> np.ndarray:
    """Depth (integer mm or float m) to uint16 codes, same shape: 0 where there is no data, else 1..4095.

    Any layout works ((H, W), (H, W, 1), (N, H, W), ...): the mapping is per pixel. Negative integers count as
    no data; integers above 65,535 mm saturate at 65,535 mm before quantization. Float input is computed in
    float32, which can put a depth that sits on a rounding tie one code away from the float64 formula.
    """
    params = _params(config)
    depth = np.asarray(depth)
    # np.take is about twice as fast as fancy indexing for a gather of this size.
    if depth.dtype == np.uint16 or depth.dtype == np.uint8:
        return np.take(_mm_to_code_table(params), depth, mode="clip")
    if np.issubdtype(depth.dtype, np.integer):
        return np.take(_mm_to_code_table(params), np.clip(depth, 0, 65535), mode="clip")
    if np.issubdtype(depth.dtype, np.floating):
        # float32 math (as LeRobot's): 7x faster than float64; at an exact rounding tie a code may differ by one.
        return _codes_from_metres(depth, params, np.float32)
    raise TypeError(f"depth must be an integer (mm) or floating (m) array, got dtype {depth.dtype}")


def dequantize_depth(codes: np.ndarray, config: DepthParams, unit: Literal["mm", "m"] = "mm") -> np.ndarray:
    """Codes back to depth, same shape: ``"mm"`` gives uint16 millimetres, ``"m"`` float32 metres; code 0
    (no data) gives 0. Raises ValueError for codes above 4095."""
    if unit not in ("mm", "m"):
        raise ValueError(f"unit={unit!r}: must be 'mm' or 'm'")
    params = _params(config)
    codes = np.asarray(codes)
    if not np.issubdtype(codes.dtype, np.integer):
        raise TypeError(f"depth codes must be an integer array, got dtype {codes.dtype}")
    if codes.size and (int(codes.max()) > MAX_CODE or int(codes.min()) < 0):
        raise ValueError(
            f"depth codes must be in [0, {MAX_CODE}], got [{int(codes.min())}, {int(codes.max())}] "
            "(a 16-bit video where 12-bit codes were expected?)"
        )
    return np.take(_code_table(params, unit), codes, mode="clip")


def quantization_step(distance_m: np.ndarray | float, config: DepthParams) -> np.ndarray:
    """Metres between two neighbouring codes at ``distance_m`` (the worst-case rounding error is half of it)."""
    lo, hi, shift, use_log = _params(config)
    distance = np.asarray(distance_m, dtype=np.float64)
    if use_log:
        return (distance + shift) * (math.log(hi + shift) - math.log(lo + shift)) / MAX_CODE
    return np.full_like(distance, (hi - lo) / MAX_CODE)
