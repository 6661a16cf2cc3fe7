"""Depth frames from the 12-bit codes stored in a depth video, using the feature's quantization settings."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

try:
    from lerec.encoding.depth import dequantize_depth
except ImportError:  # the encoding package's inverse is not merged yet: use the spec's formula
    dequantize_depth = None

MAX_CODE = 4095


@attrs.define(frozen=True)
class DepthSettings:
    """A depth feature's quantization, from its ``info`` (LeRobot's defaults where a key is missing)."""

    depth_min: float = 0.01
    depth_max: float = 10.0
    shift: float = 3.5
    use_log: bool = True

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> DepthSettings:
        def get(name, default):
            value = info.get(f"video.{name}")
            return default if value is None else value

        d = cls()
        return cls(float(get("depth_min", d.depth_min)), float(get("depth_max", d.depth_max)),
                   float(get("shift", d.shift)), bool(get("use_log", d.use_log)))


def _spec_inverse(codes: np.ndarray, s: DepthSettings, unit: str) -> np.ndarray:
    c = np.arange(MAX_CODE + 1, dtype=np.float64)
    if s.use_log:
        lo, hi = math.log(s.depth_min + s.shift), math.log(s.depth_max + s.shift)
        metres = np.exp(c * (hi - lo) / MAX_CODE + lo) - s.shift
    else:
        metres = s.depth_min + c * (s.depth_max - s.depth_min) / MAX_CODE
    metres = np.clip(metres, s.depth_min, s.depth_max)
    table = np.rint(metres * 1000).astype(np.uint16) if unit == "mm" else metres.astype(np.float32)
    table[0] = 0
    return np.take(table, codes, mode="clip")


def depth_from_codes(codes: np.ndarray, settings: DepthSettings, unit: str = "mm") -> np.ndarray:
    """uint16 codes to depth: ``"mm"`` gives uint16 millimetres, ``"m"`` float32 metres; code 0 (no data) is 0."""
    if dequantize_depth is not None:
        return dequantize_depth(codes, settings, unit)
    return _spec_inverse(codes, settings, unit)
