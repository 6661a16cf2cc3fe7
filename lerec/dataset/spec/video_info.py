"""A video feature's ``info`` in info.json: how the stream is encoded (``video.codec``, ``video.pix_fmt`` and the
encoder settings: :class:`lerec.encoding.video_encoding.VideoEncoding`), the stream facts probed from its first
file (``video.height``, ``video.fps``, ... :func:`lerec.encoding.probe.probe_stream_info`), and whether it is
depth. Part of the layout :mod:`lerec.dataset.spec.format` owns, which names these as its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lerec.encoding import video_encoding as venc
from lerec.encoding.video_encoding import VideoEncoding

IS_DEPTH_MAP = "is_depth_map"
DEPTH_UNIT = "depth_unit"


def is_depth_feature(feature: Mapping[str, Any]) -> bool:
    """Whether a feature holds depth: flagged ``is_depth_map`` (lerec) or ``video.is_depth_map`` (LeRobot)."""
    info = feature.get("info") or {}
    return bool(info.get(IS_DEPTH_MAP) or info.get(venc.IS_DEPTH_MAP))


def depth_video_keys(features: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The video features that hold depth."""
    return [key for key, f in features.items() if f.get("dtype") == "video" and is_depth_feature(f)]


def recorded_info(config: Any, depth: bool, depth_unit: str | None = None) -> dict[str, Any]:
    """The info of a stream about to be recorded with ``config``, before its first file is probed."""
    info = {**VideoEncoding(config).info(), IS_DEPTH_MAP: depth}
    if depth:
        info[DEPTH_UNIT] = depth_unit
    return info


def image_info(depth: bool) -> dict[str, Any] | None:
    """The info of a camera stream stored as images in the parquet."""
    return {IS_DEPTH_MAP: True, DEPTH_UNIT: "mm"} if depth else None


def with_stream_facts(info: Mapping[str, Any], probed: Mapping[str, Any]) -> dict[str, Any]:
    """``info`` completed by the stream facts probed from the feature's first file (what it says wins)."""
    return {**probed, **info, IS_DEPTH_MAP: info.get(IS_DEPTH_MAP, False)}


def has_stream_facts(info: Mapping[str, Any]) -> bool:
    return venc.HEIGHT in info


def as_video_info(info: Mapping[str, Any] | None, depth: bool) -> dict[str, Any]:
    """The info of an image feature turned into a video one."""
    out = {**(info or {}), IS_DEPTH_MAP: depth}
    if depth:
        out.setdefault(DEPTH_UNIT, "mm")
    return out


def reencoded_info(info: Mapping[str, Any], config: Any, probed: Mapping[str, Any]) -> dict[str, Any]:
    """A video feature's info after re-encoding with ``config``: new settings and stream facts, depth kept."""
    return {**info, **probed, **VideoEncoding(config).settings_info(),
            venc.PIX_FMT: probed.get(venc.PIX_FMT, config.pix_fmt)}


def converted_info(config: Any, probed: Mapping[str, Any]) -> dict[str, Any]:
    """What changes in a depth feature's info when its videos are converted with ``config`` (probed: the
    converted file); its quantization stays."""
    settings = {k: v for k, v in VideoEncoding(config).settings_info().items() if k not in venc.DEPTH_SETTINGS_KEYS}
    return {venc.CODEC: probed[venc.CODEC], venc.PIX_FMT: probed[venc.PIX_FMT], **settings}
