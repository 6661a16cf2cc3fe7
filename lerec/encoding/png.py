"""PNG images, for datasets that store camera frames as image features instead of video."""

from __future__ import annotations

import av
import numpy as np


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an RGB uint8 (H, W, 3) or a uint16 (H, W) image."""
    if image.ndim == 3 and image.shape[2] == 3:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image, dtype=np.uint8), format="rgb24")
    else:
        gray = np.ascontiguousarray(image.reshape(image.shape[0], image.shape[1]), dtype=np.uint16)
        frame = av.VideoFrame.from_ndarray(gray, format="gray16le").reformat(format="gray16be")
    context = av.codec.CodecContext.create("png", "w")
    context.width, context.height, context.pix_fmt = frame.width, frame.height, frame.format.name
    context.options = {"compression_level": "1"}  # as LeRobot writes its PNGs: fast, still lossless
    return b"".join(bytes(packet) for packet in [*context.encode(frame), *context.encode(None)])


def decode_png(data: bytes) -> np.ndarray:
    """The pixels of PNG bytes: RGB uint8 (H, W, 3) or uint16 (H, W)."""
    context = av.codec.CodecContext.create("png", "r")
    frames = [*context.decode(av.Packet(data)), *context.decode(None)]
    frame = frames[0]
    if frame.format.name.startswith("gray16"):
        return frame.to_ndarray(format="gray16le")
    return frame.to_ndarray(format="rgb24")
