"""Stream facts read back from a written MP4, as LeRobot stores them in a video feature's ``info``."""

from __future__ import annotations

import os
from typing import Any

import av

from lerec.encoding import video_encoding as venc


def probe_stream_info(path: str | os.PathLike) -> dict[str, Any]:
    """``video.height/width/codec/pix_fmt/fps/channels`` and ``has_audio`` of the MP4 at ``path``."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        rate = stream.average_rate or stream.base_rate or stream.guessed_rate
        pix_fmt = ctx.format.name if ctx.format else ctx.pix_fmt
        return {
            venc.HEIGHT: ctx.height,
            venc.WIDTH: ctx.width,
            venc.CODEC: ctx.codec.canonical_name,
            venc.PIX_FMT: pix_fmt,
            venc.FPS: int(round(float(rate))) if rate else None,
            venc.CHANNELS: len(av.VideoFormat(pix_fmt).components),
            "has_audio": bool(container.streams.audio),
        }
