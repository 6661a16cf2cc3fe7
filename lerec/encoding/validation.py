"""Checking encoder settings against the local FFmpeg before the first frame is recorded."""

from __future__ import annotations

import attrs

import av

from lerec.encoding.config import RGBEncoderConfig
from lerec.encoding.ffmpeg_mapping import encoder_name
from lerec.errors import EncoderConfigError


def resolve_encoder_config(
    config: RGBEncoderConfig, *, channels: int, width: int, height: int, encoder_threads: int | None = None
) -> RGBEncoderConfig:
    """Return ``config`` with ``auto`` resolved to a working encoder, or raise EncoderConfigError naming the
    field, the value and what is allowed."""
    if config.vcodec == "auto":
        config = attrs.evolve(config, vcodec="libsvtav1")
    name = encoder_name(config.vcodec)
    try:
        codec = av.codec.Codec(name, "w")
    except Exception:
        raise EncoderConfigError(f"vcodec={config.vcodec!r}: no such encoder in the local FFmpeg") from None
    formats = [f.name for f in codec.video_formats or ()]
    if formats and config.pix_fmt not in formats:
        raise EncoderConfigError(f"pix_fmt={config.pix_fmt!r} is not accepted by {name}; allowed: {', '.join(formats)}")
    return config
