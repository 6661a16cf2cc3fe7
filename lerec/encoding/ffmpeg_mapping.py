"""Encoder settings to FFmpeg encoder name and options, per the mapping table in the encoding spec.

On plain values only: the bottom of :mod:`lerec.encoding`, imported by the configs and the checks, importing
neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# LeRobot's codec names map to FFmpeg encoder names.
ENCODER_NAMES = {"h264": "libx264", "hevc": "libx265", "av1": "libsvtav1"}

# FFmpeg's canonical codec name (``video.codec`` in info.json) back to the ``vcodec`` LeRobot writes for it.
VCODEC_FOR_CANONICAL = {"av1": "libsvtav1"}

# `auto` tries these in order and takes the first that opens; else the config class's default vcodec.
HARDWARE_AUTO_ORDER = ("h264_videotoolbox", "hevc_videotoolbox", "h264_nvenc", "hevc_nvenc", "h264_vaapi", "h264_qsv")

LIBSVTAV1_DEFAULT_PRESET = 12

# FFmpeg's lambda scale: `-q:v N` on the ffmpeg command line is global_quality = N * FF_QP2LAMBDA with
# flags=+qscale. PyAV hands options straight to avcodec_open2, which does not know the `q:v` spelling.
FF_QP2LAMBDA = 118


def encoder_name(vcodec: str) -> str:
    """The FFmpeg encoder that implements ``vcodec`` (``h264`` is libx264, ``hevc`` libx265)."""
    return ENCODER_NAMES.get(vcodec, vcodec)


def option_text(value: Any) -> str:
    """An option value as FFmpeg parses it: bools as 1/0, integral floats without ``.0``."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def videotoolbox_quality(crf: float) -> float:
    """VideoToolbox quality 1..100 for ``crf``: ``clamp(100 - 2*crf, 1, 100)``."""
    return min(100.0, max(1.0, 100.0 - 2.0 * crf))


def effective_preset(encoder: str, preset: int | str | None) -> int | str | None:
    """The preset ``encoder`` runs at: LeRobot's 12 for libsvtav1 when none is set, else ``preset``."""
    if preset is None and encoder == "libsvtav1":
        return LIBSVTAV1_DEFAULT_PRESET
    return preset


def mapping_row(
    codec: str, *, g: int | None, crf: float | None, preset: int | str | None, fast_decode: int,
    encoder_threads: int | None = None,
) -> dict[str, tuple[str, str]]:
    """The spec's mapping table for FFmpeg encoder ``codec``: ``{option: (value, field it comes from)}``."""
    opts: dict[str, tuple[str, str]] = {}

    def put(option: str, value: Any, field: str) -> None:
        if value is not None:
            opts[option] = (option_text(value), field)

    put("g", g, "g")
    if codec == "libsvtav1":
        put("crf", crf, "crf")
        put("preset", preset, "preset")
        params = f"fast-decode={fast_decode}" + (f":lp={encoder_threads}" if encoder_threads else "")
        put("svtav1-params", params, "fast_decode")
    elif codec in ("libx264", "libx265"):
        put("crf", crf, "crf")
        put("preset", preset, "preset")
        if fast_decode:
            put("tune", "fastdecode", "fast_decode")
        put("threads", encoder_threads, "encoder_threads")
    elif codec in ("h264_nvenc", "hevc_nvenc"):
        if crf is not None:
            put("rc", "constqp", "crf")
            put("qp", crf, "crf")
        put("preset", preset, "preset")
    elif codec in ("h264_videotoolbox", "hevc_videotoolbox"):
        if crf is not None:
            put("flags", "+qscale", "crf")
            put("global_quality", round(videotoolbox_quality(crf) * FF_QP2LAMBDA), "crf")
    elif codec == "h264_vaapi":
        put("qp", crf, "crf")
    elif codec == "h264_qsv":
        put("global_quality", crf, "crf")
        put("preset", preset, "preset")
    else:
        put("crf", crf, "crf")
        put("preset", preset, "preset")
    return opts


def canonical_codec_name(vcodec: str) -> str:
    """FFmpeg's canonical name of ``vcodec``'s codec, as ``video.codec`` records it (libx265 -> hevc)."""
    import av

    return av.codec.Codec(encoder_name(vcodec), "w").canonical_name


def merged_options(structured: Mapping[str, tuple[str, str]], extra_options: Mapping[str, Any]) -> dict[str, str]:
    """The options to open an encoder with: the mapped fields' (:func:`mapping_row`), then ``extra_options``,
    which never override them."""
    opts = {name: value for name, (value, _field) in structured.items()}
    for key, value in extra_options.items():
        opts.setdefault(str(key), option_text(value))
    return opts
