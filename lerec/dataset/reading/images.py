"""Image features stored in parquet (LeRobot's ``dtype: "image"``): PNG (RGB) or TIFF (depth) bytes, decoded
with FFmpeg's image codecs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import av
import numpy as np

from lerec.errors import DatasetError


def _codec(data: bytes) -> str:
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[:2] == b"\xff\xd8":
        return "mjpeg"
    return "png"


def decode_image(data: bytes) -> np.ndarray:
    """An image file's bytes as uint8 H×W×3 (RGB), or H×W for grey images (uint8, uint16 or float32)."""
    ctx = av.CodecContext.create(_codec(data), "r")
    frames = ctx.decode(av.Packet(data))
    frames += ctx.decode(None)
    if not frames:
        raise DatasetError("an image in the parquet could not be decoded")
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
    return decode_image(bytes(data))
