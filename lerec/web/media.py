"""What the web app sends the browser: JPEG images (downscaled, depth colourised) and byte ranges of MP4s.

An episode's video is a byte-copy cut of the dataset's fragmented MP4 (:func:`lerec.encoding.fmp4_cut.episode_cut`),
served with HTTP range requests (``Range: bytes=A-B``), as the browser's video element asks for it.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from fractions import Fraction

import anyio
import av
import numpy as np
from starlette.responses import Response, StreamingResponse

from lerec.encoding.fmp4_cut import EpisodeCut
from lerec.web.guard import BadRequest

CHUNK = 1 << 20
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def colourise(depth: np.ndarray, far: float) -> np.ndarray:
    """Depth (H×W or H×W×1, any unit) as H×W×3 RGB in the turbo colour map from 0 to ``far``; no data is black."""
    d = depth.reshape(depth.shape[:2]).astype(np.float32)
    x = np.clip(d / max(float(far), 1e-6), 0.0, 1.0)
    # Google's polynomial fit of turbo (each channel 0..1 over x in 0..1).
    r = 0.13572 + x * (4.61539 + x * (-42.66032 + x * (132.13108 + x * (-152.94239 + x * 59.28637))))
    g = 0.09140 + x * (2.19419 + x * (4.84296 + x * (-14.18503 + x * (4.27729 + x * 2.82956))))
    b = 0.10667 + x * (12.64194 + x * (-60.58204 + x * (110.36276 + x * (-89.90310 + x * 27.34824))))
    rgb = np.clip(np.stack([r, g, b], axis=-1) * 255.0, 0, 255).astype(np.uint8)
    rgb[d <= 0] = 0
    return rgb


def depth_far(depth: np.ndarray) -> float:
    """The far end of the colour scale for a depth frame: its 99th percentile of valid pixels."""
    valid = depth[depth > 0]
    return float(np.percentile(valid, 99)) if valid.size else 1.0


def jpeg(image: np.ndarray, max_width: int = 0, quality: int = 5) -> bytes:
    """``image`` (H×W×3 RGB or H×W[×1] gray, uint8) as JPEG, scaled down to ``max_width`` (0: as it is)."""
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.dtype != np.uint8:
        image = colourise(image, depth_far(image))
    frame = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(image), format="rgb24" if image.ndim == 3 else "gray")
    h, w = image.shape[:2]
    width = min(w, max_width) if max_width else w
    width = max(2, width - width % 2)
    height = max(2, round(h * width / w / 2) * 2)
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuvj420p"
    codec.time_base = Fraction(1, 25)
    codec.options = {"qmin": str(quality), "qmax": str(quality)}
    frame = frame.reformat(width=width, height=height, format="yuvj420p")
    packets = codec.encode(frame) + codec.encode(None)
    return b"".join(bytes(p) for p in packets)


def jpeg_response(data: bytes) -> Response:
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``[start, end)`` asked by a ``Range`` header (one range of bytes), or None for the whole; 416 when it
    cannot be served."""
    if not header:
        return None
    m = _RANGE.fullmatch(header.strip())
    if m is None or (not m.group(1) and not m.group(2)):
        raise BadRequest(416, f"Range {header!r}: one range of bytes is served, like bytes=0-1023")
    if m.group(1):
        start = int(m.group(1))
        end = min(size, int(m.group(2)) + 1) if m.group(2) else size
    else:
        start, end = max(0, size - int(m.group(2))), size
    if start >= size or end <= start:
        raise BadRequest(416, f"Range {header!r}: the file has {size} bytes")
    return start, end


def _read(fd: int, parts: tuple, start: int, end: int) -> list[bytes]:
    """Bytes ``[start, end)`` of the MP4 that ``parts`` make."""
    out, pos = [], 0
    for part in parts:
        length = len(part) if isinstance(part, bytes) else part[1]
        lo, hi = max(start, pos), min(end, pos + length)
        if lo < hi:
            if isinstance(part, bytes):
                out.append(part[lo - pos : hi - pos])
            else:
                out.append(os.pread(fd, hi - lo, part[0] + lo - pos))
        pos += length
    return out


def cut_response(cut: EpisodeCut, range_header: str | None, method: str = "GET",
                 media_type: str = "video/mp4") -> Response:
    """The MP4 ``cut`` (or the range of it asked), read from its file in chunks off the event loop."""
    span = byte_range(range_header, cut.size)
    start, end = span or (0, cut.size)
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start), "Cache-Control": "no-cache"}
    if span:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{cut.size}"
    status = 206 if span else 200
    if method == "HEAD":
        return Response(b"", status, headers, media_type=media_type)

    async def body() -> AsyncIterator[bytes]:
        fd = os.open(cut.path, os.O_RDONLY)
        try:
            for lo in range(start, end, CHUNK):
                for piece in await anyio.to_thread.run_sync(_read, fd, cut.parts, lo, min(end, lo + CHUNK)):
                    yield piece
        finally:
            os.close(fd)

    return StreamingResponse(body(), status, headers, media_type=media_type)
