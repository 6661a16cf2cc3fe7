"""How one video stream is encoded, as one record: made from an encoder config or read back from its feature's
``info`` in info.json, it writes those ``video.*`` keys and opens the stream's encoder. Besides
:mod:`lerec.dataset.spec.format`, the one place that spells a ``video.*`` key."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs

from lerec.encoding.config import VIDEO_BACKENDS, DepthEncoderConfig, EncoderConfig, RGBEncoderConfig
from lerec.encoding.episode_encoder import EpisodeEncoder
from lerec.encoding.ffmpeg_mapping import VCODEC_FOR_CANONICAL, canonical_codec_name, encoder_name

PREFIX = "video."
# How the stream's file is encoded (FFmpeg's canonical codec name, libx265 -> hevc) and the stream facts probed
# from it (:func:`lerec.encoding.probe.probe_stream_info`).
CODEC, PIX_FMT = "video.codec", "video.pix_fmt"
HEIGHT, WIDTH, FPS, CHANNELS = "video.height", "video.width", "video.fps", "video.channels"
IS_DEPTH_MAP = "video.is_depth_map"  # LeRobot's depth flag (lerec's own is the feature info's ``is_depth_map``)
SETTINGS = ("g", "crf", "preset", "fast_decode", "video_backend", "extra_options")
DEPTH_SETTINGS = ("depth_min", "depth_max", "shift", "use_log")


def info_key(field: str) -> str:
    """The info key of an encoder setting or stream fact (``crf`` -> ``video.crf``)."""
    return PREFIX + field


def info_field(key: str) -> str:
    """The setting or fact an info key names (``video.crf`` -> ``crf``; a key of another kind as it is)."""
    return key[len(PREFIX):] if key.startswith(PREFIX) else key


ENCODER_SETTINGS_KEYS = tuple(map(info_key, SETTINGS))
DEPTH_SETTINGS_KEYS = tuple(map(info_key, DEPTH_SETTINGS))
# Stream facts that a resumed recording must also keep, compared when both sides carry them.
STREAM_FORMAT_KEYS = (CODEC, PIX_FMT)


@attrs.frozen
class VideoEncoding:
    """One stream's encoding: its encoder ``config`` (a :class:`DepthEncoderConfig` for a depth stream)."""

    config: EncoderConfig

    @property
    def depth(self) -> bool:
        return isinstance(self.config, DepthEncoderConfig)

    @classmethod
    def from_info(cls, info: Mapping[str, Any], depth: bool, changes: Mapping[str, Any] | None = None) -> VideoEncoding:
        """The encoding a stream's ``info`` says it was recorded with (absent or null keys, as a merge of sources
        that disagree leaves them, take the defaults), with ``changes`` (field -> value) applied. A new ``vcodec``
        without a ``preset`` drops the recorded preset: a preset means something else to another codec."""
        config_cls = DepthEncoderConfig if depth else RGBEncoderConfig
        values: dict[str, Any] = {}
        if info.get(CODEC) is not None:
            values["vcodec"] = VCODEC_FOR_CANONICAL.get(info[CODEC], info[CODEC])
        for field in attrs.fields(config_cls):
            value = info.get(info_key(field.name))
            if value is not None and field.name != "vcodec":
                values[field.name] = value
        if values.get("video_backend") not in VIDEO_BACKENDS:
            values.pop("video_backend", None)  # one lerec cannot read with: the default it writes
        changes = dict(changes or {})
        if "vcodec" in changes and "preset" not in changes:
            values.pop("preset", None)
        return cls(config_cls(**{**values, **changes}))

    def settings_info(self) -> dict[str, Any]:
        """The encoder-settings keys of the stream's info."""
        config = self.config
        info = {info_key("g"): config.g, info_key("crf"): config.crf, info_key("preset"): config.effective_preset,
                info_key("fast_decode"): config.fast_decode, info_key("video_backend"): config.video_backend,
                info_key("extra_options"): dict(config.extra_options)}
        if isinstance(config, DepthEncoderConfig):
            info.update({info_key(name): getattr(config, name) for name in DEPTH_SETTINGS})
        return info

    def info(self) -> dict[str, Any]:
        """The info keys that say how the stream is encoded: codec, pixel format and settings."""
        return {CODEC: canonical_codec_name(self.config.vcodec), PIX_FMT: self.config.pix_fmt, **self.settings_info()}

    def encodes(self, info: Mapping[str, Any]) -> bool:
        """Whether a stream with ``info`` is encoded so already (its backend aside: that is how it is read)."""
        want = self.info()
        return all(info.get(key) == want.get(key) for key in want
                   if key != info_key("video_backend") and key not in DEPTH_SETTINGS_KEYS)

    def open_encoder(self, path: str | os.PathLike, *, width: int, height: int, fps: int,
                     encoder_threads: int | None = None, beside_loop: bool = True) -> EpisodeEncoder:
        """An encoder writing the stream's frames (RGB, or a depth stream's 12-bit codes) into ``path``;
        ``beside_loop=False`` where no control loop runs (see :class:`EpisodeEncoder`)."""
        return EpisodeEncoder(path, codec=encoder_name(self.config.vcodec),
                              options=self.config.ffmpeg_options(encoder_threads), width=width, height=height, fps=fps,
                              pix_fmt=self.config.pix_fmt, input_format="gray12le" if self.depth else "rgb24",
                              beside_loop=beside_loop)


def encoder_settings_diff(old_info: Mapping[str, Any], new_info: Mapping[str, Any]) -> list[str]:
    """The settings keys whose values differ between a dataset's feature ``info`` and a new recording's.

    A key absent from either side, or null in ``old_info`` (a merge of disagreeing sources), is not compared;
    ``video.codec`` and ``video.pix_fmt`` are compared when both sides carry them.
    """
    return [key for key in (*ENCODER_SETTINGS_KEYS, *DEPTH_SETTINGS_KEYS, *STREAM_FORMAT_KEYS)
            if key in old_info and key in new_info and old_info[key] is not None and old_info[key] != new_info[key]]
