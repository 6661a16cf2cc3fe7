"""The camera streams of a session: each one's reader, encoder settings resolved for the local FFmpeg and frame age
limit, settled before the first frame; and each one's encoder for an episode."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
import attrs

from lerec.cameras.base import StreamSpec, feature_key
from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.encoding.depth_transcode import conversion_depth_config, realtime_depth_config
from lerec.encoding.validation import resolve_encoder_config
from lerec.errors import CameraError, LerecError
from lerec.recording.camera_reader import CameraReader
from lerec.recording.session_setup import encoder_for, stream_feature
from lerec.recording.settings import default_frame_age_s
from lerec.recording.stream_encoder import StreamEncoder


@attrs.define(frozen=True)
class CameraStream:
    """One camera stream of the session, recorded as the feature ``key``."""

    key: str
    reader: CameraReader
    stream: StreamSpec
    config: RGBEncoderConfig
    max_frame_age_ns: int

    def stalled(self, age_ns: int) -> CameraError:
        """The error of a stream whose newest frame is ``age_ns`` old, past its limit."""
        limit = self.max_frame_age_ns / 1e9
        return CameraError(self.reader.name, f"no new frame for {age_ns / 1e9:.1f} s (max_frame_age_s={limit:g}; "
                           "raise it for a camera that may pause)", stream=self.stream.name)

    def encoder(self, fps: int, staging: Path, episode_index: int, *, encoder_threads: int | None,
                memory_frames: int, limiter: anyio.CapacityLimiter, as_images: bool) -> StreamEncoder:
        """This stream's encoder for one episode."""
        return StreamEncoder(self.reader.name, self.stream, self.config, fps=fps, staging=staging,
                             episode_index=episode_index, encoder_threads=encoder_threads,
                             memory_frames=memory_frames, limiter=limiter, as_images=as_images)


@attrs.define
class CameraStreams:
    """Every stream of the session; the features they record; the depth features recorded with FFV1 for real time,
    as they read once converted to HEVC."""

    by_key: dict[str, CameraStream] = attrs.field(factory=dict)
    features: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    depth_to_convert: dict[str, dict[str, Any]] = attrs.field(factory=dict)


async def resolve_sources(readers: Mapping[str, CameraReader], rgb: RGBEncoderConfig, depth: DepthEncoderConfig, *,
                          fps: int, video: bool, stream_threads: int | None,
                          max_frame_age_s: Mapping[str, float | None]) -> CameraStreams:
    """Each stream's encoder settings checked against the local FFmpeg (off the event loop), and its feature."""
    out = CameraStreams()
    for name, reader in readers.items():
        for stream in reader.streams:
            base = encoder_for(stream, rgb, depth)
            capture = realtime_depth_config(base) if stream.kind == "depth" else base
            config = await anyio.to_thread.run_sync(
                lambda: resolve_encoder_config(capture, channels=stream.channels, width=stream.width,
                                               height=stream.height, encoder_threads=stream_threads)
            )
            key = feature_key(name, stream)
            if key in out.by_key:
                raise LerecError(f"two streams map to the feature {key!r}: rename a camera")
            limit_s = max_frame_age_s.get(name) or default_frame_age_s(stream.fps, fps)
            out.by_key[key] = CameraStream(key, reader, stream, config, round(limit_s * 1e9))
            out.features[key] = stream_feature(stream, config, video)
            if capture is not base and video:
                out.depth_to_convert[key] = stream_feature(stream, conversion_depth_config(base), video)
    return out
