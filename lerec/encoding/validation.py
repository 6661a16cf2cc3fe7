"""Checking encoder settings against the local FFmpeg before the first frame is recorded."""

from __future__ import annotations

import logging
import weakref
from typing import TypeVar

import attrs

from lerec.encoding.codec_options import (
    check_option_value,
    encoder_pix_fmts,
    pix_fmt_components,
    published_options,
    unknown_option_error,
    video_encoder,
)
from lerec.encoding.config import RGBEncoderConfig
from lerec.encoding.ffmpeg_mapping import (
    ENCODER_NAMES,
    HARDWARE_AUTO_ORDER,
    structured_options,
)
from lerec.encoding.hardware import is_hardware_encoder, trial_open
from lerec.errors import EncoderConfigError

log = logging.getLogger(__name__)

Config = TypeVar("Config", bound=RGBEncoderConfig)


def check_against_ffmpeg(config: RGBEncoderConfig, encoder_threads: int | None = None) -> None:
    """Raise EncoderConfigError unless the local FFmpeg has ``config``'s encoder, accepts its pixel format and
    knows every option it maps to, each with a value of the published type, range or named constant."""
    encoder = config.encoder
    if video_encoder(encoder) is None:
        aliases = ", ".join(f"{k} ({v})" for k, v in ENCODER_NAMES.items())
        raise EncoderConfigError(
            f"vcodec={config.vcodec!r}: no video encoder {encoder!r} in the local FFmpeg; "
            f"use {aliases}, auto, or one listed by `lerec encoders`"
        )
    try:
        pix_fmt_components(config.pix_fmt)
    except ValueError:
        raise EncoderConfigError(f"pix_fmt={config.pix_fmt!r}: FFmpeg knows no such pixel format") from None
    formats = encoder_pix_fmts(encoder)
    if formats and config.pix_fmt not in formats:
        raise EncoderConfigError(
            f"pix_fmt={config.pix_fmt!r} is not accepted by {encoder}; allowed: {', '.join(formats)}"
        )
    threads_ok = isinstance(encoder_threads, int) and not isinstance(encoder_threads, bool) and encoder_threads >= 1
    if encoder_threads is not None and not threads_ok:
        raise EncoderConfigError(
            f"encoder_threads={encoder_threads!r}: expected a positive int, or None for the codec's choice"
        )

    options = published_options(encoder)
    structured = structured_options(config, encoder_threads)
    mapped_fields = {field for _value, field in structured.values()}
    if config.fast_decode and "fast_decode" not in mapped_fields:
        raise EncoderConfigError(
            f"fast_decode={config.fast_decode!r}: {encoder} has no fast-decode mapping (libsvtav1, h264 and hevc do); "
            "set fast_decode=0"
        )
    if config.preset is not None and "preset" not in mapped_fields:
        raise EncoderConfigError(f"preset={config.preset!r}: {encoder} takes no preset in the mapping; set preset=None")
    for name, (value, field) in structured.items():
        setting = encoder_threads if field == "encoder_threads" else getattr(config, field)
        label = f"{field}={setting!r}" + ("" if name == field else f" (FFmpeg option {name}={value})")
        if name not in options:
            raise EncoderConfigError(
                f"{label}: {encoder} has no option {name!r}; set {field}=None to leave it to the codec"
            )
        check_option_value(encoder, options[name], value, label)
    for name, value in config.extra_options.items():
        label = f"extra_options[{name!r}]={value!r}"
        if name in structured:
            field = structured[name][1]
            raise EncoderConfigError(
                f"{label}: lerec sets FFmpeg option {name!r} from the {field} field "
                f"({name}={structured[name][0]}); set {field} instead, extra_options never override a field"
            )
        if name not in options:
            if name in ("x265-params", "x264-params", "svtav1-params"):
                raise EncoderConfigError(
                    f"{label}: {encoder} has no option {name!r}, it belongs to lib{name.split('-')[0]}; "
                    "with another vcodec pass extra_options={} (the depth config adds x265-params by default)"
                )
            raise unknown_option_error(encoder, name, label)
        check_option_value(encoder, options[name], value, label)


def resolve_encoder_config(
    config: Config, *, channels: int, width: int, height: int, encoder_threads: int | None = None
) -> Config:
    """Return ``config`` with ``auto`` resolved to a working encoder, or raise EncoderConfigError naming the
    field, the value and what is allowed. Checks the pixel format against the stream's channels (3 RGB,
    1 depth) and trial-opens the encoder on a ``width`` x ``height`` frame (once per process per setting)."""
    if config.vcodec == "auto":
        config = _pick_auto(config, channels=channels, width=width, height=height, encoder_threads=encoder_threads)
    check_against_ffmpeg(config, encoder_threads)
    components = pix_fmt_components(config.pix_fmt)
    if components < channels:
        raise EncoderConfigError(
            f"pix_fmt={config.pix_fmt!r} carries {components} component(s) but the stream has {channels} "
            f"channel(s); allowed: a pixel format with at least that many components accepted by {config.encoder}"
        )
    failure = open_failure(config, width=width, height=height, encoder_threads=encoder_threads)
    if failure:
        kind = "hardware encoder" if is_hardware_encoder(config.encoder) else "encoder"
        raise EncoderConfigError(
            f"vcodec={config.vcodec!r}: the {kind} {config.encoder} is in the local FFmpeg but failed to open "
            f"on a {width}x{height} {config.pix_fmt} frame with {config.ffmpeg_options(encoder_threads)}: {failure}"
        )
    return config


def open_failure(
    config: RGBEncoderConfig, *, width: int, height: int, encoder_threads: int | None = None
) -> str | None:
    """Why ``config``'s encoder fails a trial open on a real-size frame, or None when it works (cached)."""
    return trial_open(config.encoder, config.pix_fmt, width, height, config.ffmpeg_options(encoder_threads))


def _pick_auto(config: Config, *, channels: int, width: int, height: int, encoder_threads: int | None) -> Config:
    """The first hardware encoder in the spec's order that takes these settings and opens; else the class default."""
    skipped = []
    for encoder in HARDWARE_AUTO_ORDER:
        if video_encoder(encoder) is None:
            skipped.append(f"{encoder} (not in the local FFmpeg)")
            continue
        if config.pix_fmt not in encoder_pix_fmts(encoder):
            skipped.append(f"{encoder} (does not take pix_fmt {config.pix_fmt})")
            continue
        try:
            candidate = attrs.evolve(config, vcodec=encoder)
            check_against_ffmpeg(candidate, encoder_threads)
        except EncoderConfigError as exc:
            skipped.append(f"{encoder} ({exc})")
            continue
        failure = open_failure(candidate, width=width, height=height, encoder_threads=encoder_threads)
        if failure:
            skipped.append(f"{encoder} (cannot open: {failure})")
            continue
        _say_once(config, f"vcodec=auto: picked hardware encoder {encoder}; skipped {'; '.join(skipped) or 'none'}")
        return candidate
    fallback = attrs.fields(type(config)).vcodec.default
    _say_once(config, f"vcodec=auto: no hardware encoder works here, picked {fallback} (software); skipped {'; '.join(skipped)}")
    return attrs.evolve(config, vcodec=fallback)


# Per config object, the choices already said: a session resolves one config for each of its camera streams.
_said: dict[int, tuple[weakref.ref, set[str]]] = {}


def _say_once(config: Config, message: str) -> None:
    """Log the ``auto`` choice for ``config`` once, however many streams resolve it to the same encoder."""
    key = id(config)
    entry = _said.get(key)
    if entry is None or entry[0]() is not config:
        entry = (weakref.ref(config, lambda _, key=key: _said.pop(key, None)), set())
        _said[key] = entry
    if message not in entry[1]:
        entry[1].add(message)
        log.info("%s", message)
