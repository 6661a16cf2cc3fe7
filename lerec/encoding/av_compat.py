"""Where PyAV's API differs between the versions lerec supports (av 15, LeRobot 0.6's pin, to av 19): one seam.

Two things differ. First, the introspection of an encoder's options: av 15.0-17.0 publish them as
``Codec.descriptor.options`` (the encoder's private AVClass) and ``av.codec.codec.codec_descriptor`` (FFmpeg's
generic codec options), with an ``OptionType`` enum that raises on types it does not list (FFmpeg 7's array flag,
``UINT``); av 18.1+ publishes ``CodecContext.supported_options`` (``generic``, ``private``) of ``CodecOption``
records; av 17.1 and 18.0 publish neither, so pyproject excludes them. Second, the FFmpeg the wheels carry: av 15's
(FFmpeg 7.1) cannot put FFV1 in MP4, FFmpeg 8 (av 16+) can. Everything else lerec calls (``av.open``, frames,
streams, ``CodecContext.options``, ``av.logging``) behaves the same across 15-19; CI runs the suite at both ends.
"""

from __future__ import annotations

import functools
import io

import attrs
import av

from lerec.errors import EncoderConfigError

SUPPORTED_AV = "av>=15,!=17.1.*,!=18.0.*,<20"  # as pyproject.toml states it
ENCODING_PARAM = 1  # AV_OPT_FLAG_ENCODING_PARAM
VIDEO_PARAM = 16  # AV_OPT_FLAG_VIDEO_PARAM
# FFmpeg's option types (AVOptionType, by name) that lerec checks values of; any other type keeps its own name.
_KINDS = {
    "INT": "int", "INT64": "int", "UINT": "int", "UINT64": "int", "DOUBLE": "float", "FLOAT": "float",
    "BOOL": "bool", "FLAGS": "flags", "STRING": "string",
}


@attrs.define(frozen=True)
class CodecOption:
    """One AVOption an encoder takes, as lerec reads it: ``kind`` is int, float, bool, flags, string, or
    FFmpeg's type name in lower case (rational, image_size, ..., ``unknown`` when PyAV cannot name it)."""

    name: str
    kind: str
    min: float
    max: float
    choices: tuple[str, ...]
    flags: int

    @property
    def is_encoding(self) -> bool:
        return bool(self.flags & ENCODING_PARAM)

    @property
    def is_video(self) -> bool:
        return bool(self.flags & VIDEO_PARAM)


def _kind(option: object) -> str:
    try:
        name = option.type.name  # av 15-16 raise ValueError for a type their enum lacks
    except ValueError:
        return "unknown"
    return _KINDS.get(name, name.lower())


def _record(option: object) -> CodecOption:
    return CodecOption(
        name=option.name, kind=_kind(option), min=float(option.min), max=float(option.max),
        choices=tuple(choice.name for choice in option.choices), flags=int(option.flags),
    )


@functools.cache
def encoder_options(encoder: str) -> tuple[CodecOption, ...]:
    """Every option ``encoder`` takes: FFmpeg's generic codec options, then the encoder's private ones."""
    context_type = av.codec.context.CodecContext
    if hasattr(context_type, "supported_options"):  # av >= 18.1
        supported = context_type.create(encoder, "w").supported_options
        options = (*supported.generic, *supported.private)
    elif hasattr(av.codec.Codec, "descriptor"):  # av 15.0-17.0
        from av.codec.codec import codec_descriptor

        private = av.codec.Codec(encoder, "w").descriptor
        options = (*codec_descriptor.options, *(private.options if private is not None else ()))
    else:
        raise EncoderConfigError(
            f"av {av.__version__} publishes no codec options, which lerec checks encoder settings against; "
            f"allowed: {SUPPORTED_AV}"
        )
    return tuple(_record(option) for option in options)


@functools.cache
def mp4_takes(codec: str) -> bool:
    """Whether the local FFmpeg muxes ``codec`` into MP4 (FFV1 only from FFmpeg 8, av 16)."""
    with av.open(io.BytesIO(), "w", format="mp4") as container:
        try:
            container.add_stream(codec, rate=30)
        except ValueError:
            return False
    return True
