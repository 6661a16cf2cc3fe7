"""Resolving an encoder config for a real stream before its first frame: ``auto`` to a working encoder, the
pixel format against the stream's channels, and a trial open on a real-size frame (hardware encoders are only
known to work once one opens). Above the configs: they import nothing from here."""

from __future__ import annotations

import logging
import weakref
from typing import TypeVar

import attrs

from lerec.encoding.codec_options import encoder_pix_fmts, pix_fmt_components, video_encoder
from lerec.encoding.config import EncoderConfig
from lerec.encoding.ffmpeg_check import check_against_ffmpeg
from lerec.encoding.ffmpeg_mapping import HARDWARE_AUTO_ORDER
from lerec.encoding.hardware import is_hardware_encoder, trial_open
from lerec.errors import EncoderConfigError

log = logging.getLogger(__name__)

Config = TypeVar("Config", bound=EncoderConfig)


def resolve_encoder_config(
    config: Config, *, channels: int, width: int, height: int, encoder_threads: int | None = None
) -> Config:
    """Return ``config`` with ``auto`` resolved to a working encoder, or raise EncoderConfigError naming the
    field, the value and what is allowed. Checks the pixel format against the stream's channels (3 RGB,
    1 depth) and trial-opens the encoder on a ``width`` x ``height`` frame (once per process per setting)."""
    if config.vcodec == "auto":
        config = _pick_auto(config, channels=channels, width=width, height=height, encoder_threads=encoder_threads)
    check_against_ffmpeg(config.codec_settings(), encoder_threads)
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
    config: EncoderConfig, *, width: int, height: int, encoder_threads: int | None = None
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
            check_against_ffmpeg(candidate.codec_settings(), encoder_threads)
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
