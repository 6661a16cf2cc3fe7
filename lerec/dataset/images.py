"""Image features stored in parquet (LeRobot's ``dtype: "image"``): PNG bytes, decoded with FFmpeg's PNG codec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import av
import numpy as np

from lerec.errors import DatasetError


def decode_png(data: bytes) -> np.ndarray:
    """A PNG as uint8 H×W×3 (RGB), or H×W uint16/uint8 for grey images."""
    ctx = av.CodecContext.create("png", "r")
    frames = ctx.decode(av.Packet(data))
    frames += ctx.decode(None)
    if not frames:
        raise DatasetError("a PNG image in the parquet could not be decoded")
    frame = frames[0]
    name = frame.format.name
    if name.startswith("gray"):
        return frame.to_ndarray()
    return frame.to_ndarray(format="rgb24")


def image_from_cell(value: Any) -> np.ndarray:
    """The image of one parquet cell: a ``{"bytes", "path"}`` struct as LeRobot writes it."""
    if isinstance(value, Mapping):
        data = value.get("bytes")
        if data is None and value.get("path"):
            with open(value["path"], "rb") as f:
                data = f.read()
    else:
        data = value
    if not data:
        raise DatasetError("an image cell holds neither bytes nor a path")
    return decode_png(bytes(data))
