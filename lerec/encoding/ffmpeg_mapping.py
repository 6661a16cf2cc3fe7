"""Encoder settings to FFmpeg codec name and options, per the mapping table in the spec."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lerec.encoding.config import RGBEncoderConfig

# LeRobot's codec names map to FFmpeg encoder names.
ENCODER_NAMES = {"h264": "libx264", "hevc": "libx265", "av1": "libsvtav1"}


def encoder_name(vcodec: str) -> str:
    """The FFmpeg encoder that implements ``vcodec`` (``h264`` is libx264, ``hevc`` libx265)."""
    return ENCODER_NAMES.get(vcodec, vcodec)


def ffmpeg_options(config: RGBEncoderConfig, encoder_threads: int | None = None) -> dict[str, str]:
    """FFmpeg options for ``config``; ``extra_options`` are merged last and never override these."""
    codec = encoder_name(config.vcodec)
    preset = config.effective_preset
    opts: dict[str, str] = {}
    if config.g is not None:
        opts["g"] = str(config.g)
    if codec == "libsvtav1":
        if config.crf is not None:
            opts["crf"] = str(config.crf)
        if preset is not None:
            opts["preset"] = str(preset)
        params = [f"fast-decode={config.fast_decode}"]
        if encoder_threads:
            params.append(f"lp={encoder_threads}")
        opts["svtav1-params"] = ":".join(params)
    elif codec in ("libx264", "libx265"):
        if config.crf is not None:
            opts["crf"] = str(config.crf)
        if preset is not None:
            opts["preset"] = str(preset)
        if config.fast_decode:
            opts["tune"] = "fastdecode"
        if encoder_threads:
            opts["threads"] = str(encoder_threads)
    elif codec.endswith("_nvenc"):
        opts["rc"] = "constqp"
        if config.crf is not None:
            opts["qp"] = str(int(config.crf))
        if preset is not None:
            opts["preset"] = str(preset)
    elif codec.endswith("_videotoolbox"):
        if config.crf is not None:
            opts["q:v"] = str(int(min(100, max(1, 100 - 2 * config.crf))))
    elif codec == "h264_vaapi":
        if config.crf is not None:
            opts["qp"] = str(int(config.crf))
    elif codec == "h264_qsv":
        if config.crf is not None:
            opts["global_quality"] = str(int(config.crf))
        if preset is not None:
            opts["preset"] = str(preset)
    else:
        if config.crf is not None:
            opts["crf"] = str(config.crf)
        if preset is not None:
            opts["preset"] = str(preset)
    for key, value in config.extra_options.items():
        opts.setdefault(str(key), str(value))
    return opts
