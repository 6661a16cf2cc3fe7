"""Encoding one episode's frames anew into a movable fragment (for re-encoding and image-to-video conversion)."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from lerec.dataset import format as fmt
from lerec.dataset.episode_video import MovableEpisode
from lerec.encoding import fmp4
from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.encoding.episode_encoder import EpisodeEncoder
from lerec.encoding.ffmpeg_mapping import encoder_name
from lerec.encoding.probe import probe_stream_info

# The keys of a video feature's info that say how it was encoded.
ENCODING_KEYS = ("video.codec", "video.pix_fmt", "video.g", "video.crf", "video.preset", "video.fast_decode",
                 "video.extra_options")


def config_from_info(info: Mapping[str, Any], depth: bool, changes: Mapping[str, Any]) -> RGBEncoderConfig:
    """The encoder settings a stream was recorded with (from its info), with ``changes`` applied."""
    cls = DepthEncoderConfig if depth else RGBEncoderConfig
    known = {f.name for f in attrs.fields(cls)}
    values: dict[str, Any] = {}
    if info.get("video.codec"):
        values["vcodec"] = info["video.codec"]
    for field in ("pix_fmt", "g", "crf", "preset", "fast_decode", "extra_options", "depth_min", "depth_max",
                  "shift", "use_log"):
        if field in known and info.get(f"video.{field}") is not None:
            values[field] = info[f"video.{field}"]
    if "vcodec" in changes and "preset" not in changes:
        values.pop("preset", None)  # a preset means something else to another codec
    values.update(changes)
    return cls(**values)


def same_encoding(info: Mapping[str, Any], config: RGBEncoderConfig) -> bool:
    """Whether a stream with ``info`` is already encoded with ``config``."""
    want = fmt.encoding_info(config)
    return all(info.get(k) == want.get(k) for k in ENCODING_KEYS)


def encode_episode(frames: Sequence[np.ndarray], config: RGBEncoderConfig, fps: int, depth: bool,
                   encoder_threads: int | None = None) -> tuple[MovableEpisode, dict[str, Any]]:
    """Encode ``frames`` (RGB uint8 H×W×3, or depth codes uint16 H×W) into one fragment; also returns the
    probed stream facts (``video.codec``, ``video.pix_fmt``, ...)."""
    first = np.asarray(frames[0])
    height, width = first.shape[:2]
    with tempfile.TemporaryDirectory(prefix="lerec-encode-") as tmp:
        path = Path(tmp) / "episode.mp4"
        encoder = EpisodeEncoder(path, codec=encoder_name(config.vcodec),
                                 options=config.ffmpeg_options(encoder_threads), width=width, height=height, fps=fps,
                                 pix_fmt=config.pix_fmt, input_format="gray12le" if depth else "rgb24")
        try:
            for frame in frames:
                frame = np.asarray(frame)
                if frame.ndim == 3 and depth:
                    frame = frame[..., 0]
                encoder.encode(np.ascontiguousarray(frame))
            encoder.finish()
        except BaseException:
            encoder.abort()
            raise
        fragment = fmp4.read_episode_fragment(path)
        facts = probe_stream_info(path)
    return MovableEpisode(fragment.without_edit_list(), 0), facts
