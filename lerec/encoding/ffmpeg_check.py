"""Checking encoder settings against the local FFmpeg: the encoder exists, takes the pixel format, and knows every
option the settings map to, each with a value of the published type, range or named constant.

A leaf on plain values (a config's fields by name), so the configs can call it on construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lerec.encoding.codec_options import (
    check_option_value,
    encoder_pix_fmts,
    pix_fmt_components,
    published_options,
    unknown_option_error,
    video_encoder,
)
from lerec.encoding.ffmpeg_mapping import ENCODER_NAMES, effective_preset, encoder_name, mapping_row
from lerec.errors import EncoderConfigError

# The fields of a config that FFmpeg sees, by name: what the functions here take as ``settings``.
CODEC_SETTINGS = ("vcodec", "pix_fmt", "g", "crf", "preset", "fast_decode", "extra_options")
# Nested option strings that belong to one library's encoder.
LIBRARY_PARAMS = ("x265-params", "x264-params", "svtav1-params")


def structured_options(settings: Mapping[str, Any], encoder_threads: int | None = None) -> dict[str, tuple[str, str]]:
    """The options the structured fields of ``settings`` produce, as ``{option: (value, field it comes from)}``."""
    encoder = encoder_name(settings["vcodec"])
    return mapping_row(
        encoder, g=settings["g"], crf=settings["crf"], preset=effective_preset(encoder, settings["preset"]),
        fast_decode=settings["fast_decode"], encoder_threads=encoder_threads,
    )


def check_against_ffmpeg(settings: Mapping[str, Any], encoder_threads: int | None = None) -> None:
    """Raise EncoderConfigError unless the local FFmpeg has the encoder of ``settings`` (a config's ``vcodec``,
    ``pix_fmt``, ``g``, ``crf``, ``preset``, ``fast_decode`` and ``extra_options``), accepts its pixel format and
    knows every option it maps to, each with a value of the published type, range or named constant."""
    vcodec, pix_fmt = settings["vcodec"], settings["pix_fmt"]
    encoder = encoder_name(vcodec)
    if video_encoder(encoder) is None:
        aliases = ", ".join(f"{k} ({v})" for k, v in ENCODER_NAMES.items())
        raise EncoderConfigError(
            f"vcodec={vcodec!r}: no video encoder {encoder!r} in the local FFmpeg; "
            f"use {aliases}, auto, or one listed by `lerec encoders`"
        )
    try:
        pix_fmt_components(pix_fmt)
    except ValueError:
        raise EncoderConfigError(f"pix_fmt={pix_fmt!r}: FFmpeg knows no such pixel format") from None
    formats = encoder_pix_fmts(encoder)
    if formats and pix_fmt not in formats:
        raise EncoderConfigError(
            f"pix_fmt={pix_fmt!r} is not accepted by {encoder}; allowed: {', '.join(formats)}"
        )
    threads_ok = isinstance(encoder_threads, int) and not isinstance(encoder_threads, bool) and encoder_threads >= 1
    if encoder_threads is not None and not threads_ok:
        raise EncoderConfigError(
            f"encoder_threads={encoder_threads!r}: expected a positive int, or None for the codec's choice"
        )

    options = published_options(encoder)
    structured = structured_options(settings, encoder_threads)
    mapped_fields = {field for _value, field in structured.values()}
    if settings["fast_decode"] and "fast_decode" not in mapped_fields:
        raise EncoderConfigError(
            f"fast_decode={settings['fast_decode']!r}: {encoder} has no fast-decode mapping (libsvtav1, h264 and "
            "hevc do); set fast_decode=0"
        )
    if settings["preset"] is not None and "preset" not in mapped_fields:
        raise EncoderConfigError(
            f"preset={settings['preset']!r}: {encoder} takes no preset in the mapping; set preset=None")
    for name, (value, field) in structured.items():
        setting = encoder_threads if field == "encoder_threads" else settings[field]
        label = f"{field}={setting!r}" + ("" if name == field else f" (FFmpeg option {name}={value})")
        if name not in options:
            raise EncoderConfigError(
                f"{label}: {encoder} has no option {name!r}; set {field}=None to leave it to the codec"
            )
        check_option_value(encoder, options[name], value, label)
    for name, value in settings["extra_options"].items():
        label = f"extra_options[{name!r}]={value!r}"
        if name in structured:
            field = structured[name][1]
            raise EncoderConfigError(
                f"{label}: lerec sets FFmpeg option {name!r} from the {field} field "
                f"({name}={structured[name][0]}); set {field} instead, extra_options never override a field"
            )
        if name not in options:
            if name in LIBRARY_PARAMS:
                raise EncoderConfigError(
                    f"{label}: {encoder} has no option {name!r}, it belongs to lib{name.split('-')[0]}; "
                    "with another vcodec pass extra_options={} (the depth config adds x265-params by default)"
                )
            raise unknown_option_error(encoder, name, label)
        check_option_value(encoder, options[name], value, label)
