"""Checks and feature descriptions a recording session settles before its first frame."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lerec.cameras.base import StreamSpec
from lerec.dataset.spec import format as fmt
from lerec.dataset.spec.features import normalize_numeric_feature, video_feature
from lerec.dataset.store.metadata import read_info
from lerec.encoding.config import DepthEncoderConfig, EncoderConfig, RGBEncoderConfig
from lerec.encoding.realtime import usable_cores
from lerec.encoding.video_encoding import CODEC, VideoEncoding, encoder_settings_diff
from lerec.errors import DatasetError, DatasetRequestError, EncoderConfigError

CAPTURE_CODEC = "ffv1"  # depth recorded in real time until its conversion (realtime_depth_config)


def stream_feature(stream: StreamSpec, config: RGBEncoderConfig, use_videos: bool) -> dict[str, Any]:
    """The info.json entry of a camera stream, before its first episode adds the probed stream facts."""
    depth = stream.kind == "depth"
    if not use_videos:
        return video_feature(stream.height, stream.width, stream.channels, fmt.image_info(depth), dtype="image")
    info = fmt.recorded_info(config, depth, stream.depth_unit if depth else None)
    return video_feature(stream.height, stream.width, stream.channels, info)


def numeric_features(features: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {key: normalize_numeric_feature(key, spec) for key, spec in (features or {}).items()}


def check_resume(
    existing: Mapping[str, Any], fps: int, features: Mapping[str, Mapping[str, Any]], root: str
) -> None:
    """Refuse to add episodes recorded differently from the dataset's, naming what differs."""
    if int(existing["fps"]) != int(fps):
        raise DatasetRequestError(f"{root} was recorded at fps={existing['fps']}; this recording asks fps={fps}")
    old = {k: v for k, v in existing["features"].items() if v["dtype"] in ("video", "image")}
    new = {k: v for k, v in features.items() if v["dtype"] in ("video", "image")}
    if set(old) != set(new):
        raise DatasetRequestError(
            f"{root} has camera streams {sorted(old)}; this recording has {sorted(new)} "
            "(a resumed dataset keeps its camera set)"
        )
    for key, feature in new.items():
        before = old[key]
        if list(before["shape"]) != list(feature["shape"]) or before["dtype"] != feature["dtype"]:
            raise DatasetRequestError(
                f"{root}: {key} is {before['dtype']} {before['shape']}; this recording gives "
                f"{feature['dtype']} {feature['shape']}"
            )
        old_info, new_info = before.get("info") or {}, feature.get("info") or {}
        differing = encoder_settings_diff(old_info, new_info)
        if old_info.get("depth_unit") != new_info.get("depth_unit"):
            differing.append("depth_unit")
        if differing:
            detail = ", ".join(f"{k}: {old_info.get(k)!r} -> {new_info[k]!r}" for k in differing)
            raise DatasetRequestError(f"{root}: {key} was recorded with other encoder settings ({detail})")
    for key, feature in features.items():
        if feature["dtype"] in ("video", "image"):
            continue
        before = existing["features"].get(key)
        if before is None or before["dtype"] != feature["dtype"] or list(before["shape"]) != list(feature["shape"]):
            raise DatasetRequestError(f"{root}: feature {key!r} is {before} in the dataset; "
                                      f"this recording gives {feature}")


def resumed_encoder(root: str | os.PathLike, depth: bool,
                    changes: Mapping[str, Any] | None = None) -> EncoderConfig | None:
    """The encoder settings the dataset at ``root`` recorded its (first) depth or RGB video stream with, as its
    info.json says, with ``changes`` (field -> value) applied: what a session resuming it records with. None
    where it says none to take: no dataset or no such stream, depth still in the capture codec (the session
    converts it), settings the local FFmpeg refuses, an info.json that cannot be read (the resume reports it)."""
    try:
        features = read_info(Path(root))["features"]
    except DatasetError:
        return None
    for feature in features.values():
        if feature["dtype"] != "video" or fmt.is_depth_feature(feature) != depth:
            continue
        info = feature.get("info") or {}
        if info.get(CODEC) == CAPTURE_CODEC:
            return None
        try:
            return VideoEncoding.from_info(info, depth, changes).config
        except EncoderConfigError:
            return None
    return None


def encoder_for(stream: StreamSpec, rgb: RGBEncoderConfig, depth: DepthEncoderConfig) -> RGBEncoderConfig:
    return depth if stream.kind == "depth" else rgb


def threads_per_stream(streams: int) -> int:
    """Encoder threads for each of ``streams`` encoders running at once: the usable cores shared among them.

    Encoders that each spread over every core (x264's and SVT-AV1's own choice) outnumber the cores several times
    when a recording runs one per camera. Measured on 2 cores, 3 VGA streams: x264 (medium) 295 fps in all with
    one thread each against 240 with its own choice, SVT-AV1 194 against 178, and fewer frames held inside the
    encoders, which is what an episode's end waits for.
    """
    return max(1, usable_cores() // max(1, streams))


def encoder_calls_at_once() -> int:
    """Worker threads that may feed frames to the encoders at once: one per usable core.

    A worker feeding an encoder converts and hands over frames at normal weight (and, for a one-thread x264, codes
    them), so it competes with the control loop for the CPU and the GIL. With one per camera, 8 VGA AV1 cameras on
    2 cores kept 8 such workers runnable beside the loop: its wake-ups waited for them (tick p99 10.3–11.5 ms,
    162–212 frames repeated in 20 s). One per core fed the same encoders as fast (SVT-AV1 codes on threads of its
    own) and left the loop p99 3.5–3.9 ms, 0–30 repeated.
    """
    return usable_cores()
