"""Depth maps to 12-bit codes and back (log or linear), per the formulas in the encoding spec."""

from __future__ import annotations

import numpy as np

from lerec.encoding.config import DepthEncoderConfig

MAX_CODE = 4095


def quantize_depth(depth: np.ndarray, config: DepthEncoderConfig) -> np.ndarray:
    """Depth (uint16 mm or float m) to uint16 codes in [0, 4095], same shape."""
    metres = depth.astype(np.float64) / 1000.0 if np.issubdtype(depth.dtype, np.integer) else depth.astype(np.float64)
    lo, hi = config.depth_min, config.depth_max
    if config.use_log:
        lo_l, hi_l = np.log(lo + config.shift), np.log(hi + config.shift)
        codes = MAX_CODE * (np.log(np.maximum(metres + config.shift, 1e-12)) - lo_l) / (hi_l - lo_l)
    else:
        codes = MAX_CODE * (metres - lo) / (hi - lo)
    return np.clip(np.rint(codes), 0, MAX_CODE).astype(np.uint16)
