"""Encoder settings for RGB and depth streams, with LeRobot's field names, defaults and FFmpeg mapping.

A config that exists is valid and cannot change: fields are checked on construction, and unless ``vcodec`` is
``auto`` so is the codec, pixel format and every FFmpeg option against the local FFmpeg
(:mod:`lerec.encoding.ffmpeg_check`). What needs the stream (channels, frame size, a trial open) and the choice
behind ``auto`` are :func:`lerec.encoding.validation.resolve_encoder_config`'s. Each field's ``help`` metadata is
the text of its ``--dataset.<rgb|depth>_encoder.<field>`` flag.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

from lerec.encoding.ffmpeg_check import CODEC_SETTINGS, check_against_ffmpeg, structured_options
from lerec.encoding.ffmpeg_mapping import effective_preset, encoder_name, merged_options
from lerec.errors import EncoderConfigError

VIDEO_BACKEND = "pyav"
VIDEO_BACKENDS = ("pyav",)


def _frozen_options(value: Any) -> Mapping[str, Any]:
    """``extra_options`` as a read-only copy: a validated config cannot be changed through it."""
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise EncoderConfigError(f"extra_options={value!r}: expected a mapping of FFmpeg option names to values")
    return MappingProxyType(dict(value))


def _options_key(value: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """What configs compare and hash ``extra_options`` by (a mapping proxy itself is not hashable)."""
    return tuple(sorted(value.items(), key=lambda item: str(item[0])))


def _help(text: str) -> dict[str, str]:
    return {"help": text}


def _fail(field: attrs.Attribute, value: Any, allowed: str) -> EncoderConfigError:
    return EncoderConfigError(f"{field.name}={value!r}: expected {allowed}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _non_empty_str(_inst: Any, field: attrs.Attribute, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, value, "a non-empty string")


def _gop(_inst: Any, field: attrs.Attribute, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise _fail(field, value, "a positive int (a keyframe every g frames) or None for the codec's default")


def _crf(_inst: Any, field: attrs.Attribute, value: Any) -> None:
    if value is not None and (not _is_number(value) or value < 0):
        raise _fail(field, value, "a number >= 0 (lower is better quality) or None for the codec's default")


def _preset(_inst: Any, field: attrs.Attribute, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, str))):
        raise _fail(field, value, "an int or a string (codec-specific, e.g. 12 for libsvtav1, 'p4' for nvenc) or None")


def _fast_decode(_inst: Any, field: attrs.Attribute, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2:
        raise _fail(field, value, "an int from 0 to 2 (0 = off)")


def _video_backend(_inst: Any, field: attrs.Attribute, value: Any) -> None:
    if value not in VIDEO_BACKENDS:
        raise _fail(field, value, "one of: " + ", ".join(VIDEO_BACKENDS))


def _extra_options(_inst: Any, field: attrs.Attribute, value: Mapping[str, Any]) -> None:
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise _fail(field, dict(value), f"option names as non-empty strings, got {key!r}")
        if isinstance(item, (dict, list, tuple, set)) or item is None:
            raise EncoderConfigError(
                f"extra_options[{key!r}]={item!r}: expected a single value (string, number or bool); "
                "nested settings go in one string, e.g. 'x265-params': 'lossless=1:log-level=error'"
            )


def _metres(_inst: Any, field: attrs.Attribute, value: Any) -> None:
    if not _is_number(value):
        raise _fail(field, value, "a finite number of metres")


def _bool(_inst: Any, field: attrs.Attribute, value: Any) -> None:
    if not isinstance(value, bool):
        raise _fail(field, value, "true or false")


Config = TypeVar("Config", bound="EncoderConfig")


@attrs.define(frozen=True)
class EncoderConfig:
    """How a video stream is encoded; :class:`RGBEncoderConfig` and :class:`DepthEncoderConfig` are its kinds.
    Field names and defaults are LeRobot's ``--dataset.rgb_encoder.<field>``."""

    vcodec: str = attrs.field(default="libsvtav1", validator=_non_empty_str, metadata=_help(
        "encoder: libsvtav1, h264 (libx264), hevc (libx265), a hardware encoder such as h264_nvenc, or auto."))
    pix_fmt: str = attrs.field(default="yuv420p", validator=_non_empty_str, metadata=_help(
        "pixel format given to the encoder; must be one it accepts (see `lerec encoders`)."))
    g: int | None = attrs.field(default=2, validator=_gop, metadata=_help(
        "GOP size, a keyframe every g frames (small = fast random access while training)."))
    crf: float | None = attrs.field(default=30, validator=_crf, metadata=_help(
        "quality, lower is better; mapped per codec (qp for nvenc/vaapi, global_quality for qsv)."))
    preset: int | str | None = attrs.field(default=None, validator=_preset, metadata=_help(
        "speed preset, codec-specific (12 for libsvtav1 by default, else the codec's default)."))
    fast_decode: int = attrs.field(default=0, validator=_fast_decode, metadata=_help(
        "0..2; libsvtav1 fast-decode level, h264/hevc add tune=fastdecode when > 0."))
    video_backend: str = attrs.field(default=VIDEO_BACKEND, validator=_video_backend, metadata=_help(
        "decoder the dataset declares for reading (pyav)."))
    extra_options: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_frozen_options, validator=_extra_options, eq=_options_key, metadata=_help(
            """more FFmpeg options as JSON, e.g. '{"tune": "film"}'; merged last, never override a field."""))

    # Components the stream's frames have (3 RGB, 1 depth); resolve_encoder_config checks the real count.
    CHANNELS = 3

    def __attrs_post_init__(self) -> None:
        if self.vcodec != "auto":
            check_against_ffmpeg(self.codec_settings())

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (and deep-copied) by its fields, as a mapping proxy cannot be; rebuilt, so checked, on load."""
        fields = {f.name: getattr(self, f.name) for f in attrs.fields(type(self))}
        fields["extra_options"] = dict(self.extra_options)
        return _rebuild, (type(self), fields)

    def codec_settings(self) -> dict[str, Any]:
        """The fields FFmpeg sees, by name, as :mod:`lerec.encoding.ffmpeg_check` checks them."""
        return {name: getattr(self, name) for name in CODEC_SETTINGS}

    @property
    def encoder(self) -> str:
        """The FFmpeg encoder name (``h264`` is libx264, ``hevc`` libx265)."""
        return encoder_name(self.vcodec)

    @property
    def effective_preset(self) -> int | str | None:
        return effective_preset(self.encoder, self.preset)

    def ffmpeg_options(self, encoder_threads: int | None = None) -> dict[str, str]:
        """The FFmpeg options for this codec, as the spec's mapping table gives them; ``extra_options`` last."""
        return merged_options(structured_options(self.codec_settings(), encoder_threads), self.extra_options)


def _rebuild(cls: type[Config], fields: dict[str, Any]) -> Config:
    return cls(**fields)


@attrs.define(frozen=True)
class RGBEncoderConfig(EncoderConfig):
    """How an RGB stream is encoded (LeRobot's ``--dataset.rgb_encoder``)."""


@attrs.define(frozen=True)
class DepthEncoderConfig(EncoderConfig):
    """How a depth stream is encoded: 12-bit quantization codes in a grey video (LeRobot's
    ``--dataset.depth_encoder``)."""

    vcodec: str = attrs.field(default="hevc", validator=_non_empty_str, metadata=_help(
        "encoder for the 12-bit codes; hevc is libx265 (HEVC Main 12)."))
    pix_fmt: str = attrs.field(default="gray12le", validator=_non_empty_str, metadata=_help(
        "grey pixel format with at least 12 bits per pixel."))
    extra_options: Mapping[str, Any] = attrs.field(
        factory=lambda: {"x265-params": "lossless=1"}, converter=_frozen_options, validator=_extra_options,
        eq=_options_key, metadata=_help(
            "more FFmpeg options as JSON; the default makes libx265 lossless over the codes."))
    depth_min: float = attrs.field(default=0.01, validator=_metres, metadata=_help(
        "nearest depth in metres, code 0."))
    depth_max: float = attrs.field(default=10.0, validator=_metres, metadata=_help(
        "farthest depth in metres, code 4095."))
    shift: float = attrs.field(default=3.5, validator=_metres, metadata=_help(
        "metres added before the logarithm in log mode (depth_min + shift must be > 0)."))
    use_log: bool = attrs.field(default=True, validator=_bool, metadata=_help(
        "log quantization (finer steps near the camera) instead of linear."))

    CHANNELS = 1

    def __attrs_post_init__(self) -> None:
        if self.depth_min < 0 or self.depth_max <= self.depth_min:
            raise EncoderConfigError(
                f"depth_min={self.depth_min!r}, depth_max={self.depth_max!r}: "
                "expected 0 <= depth_min < depth_max (metres)"
            )
        if self.use_log and self.depth_min + self.shift <= 0:
            raise EncoderConfigError(
                f"shift={self.shift!r}: with use_log, depth_min + shift must be > 0 (depth_min={self.depth_min!r})"
            )
        super().__attrs_post_init__()
