"""Depth frames from the 12-bit codes stored in a depth video, using the feature's quantization settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from lerec.encoding.depth import dequantize_depth
from lerec.encoding.video_encoding import info_key


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
            value = info.get(info_key(name))
            return default if value is None else value

        d = cls()
        return cls(float(get("depth_min", d.depth_min)), float(get("depth_max", d.depth_max)),
                   float(get("shift", d.shift)), bool(get("use_log", d.use_log)))


def depth_from_codes(codes: np.ndarray, settings: DepthSettings, unit: str = "mm") -> np.ndarray:
    """uint16 codes to depth: ``"mm"`` gives uint16 millimetres, ``"m"`` float32 metres; code 0 (no data) is 0."""
    return dequantize_depth(codes, settings, unit)
