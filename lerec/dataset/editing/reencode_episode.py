"""Encoding one episode's frames anew into a movable fragment (for re-encoding and image-to-video conversion)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lerec.dataset.writing.episode_video import MovableEpisode
from lerec.encoding import fmp4
from lerec.encoding.config import RGBEncoderConfig
from lerec.encoding.probe import probe_stream_info
from lerec.encoding.video_encoding import VideoEncoding


def encode_episode(frames: Sequence[np.ndarray], config: RGBEncoderConfig, fps: int, depth: bool,
                   encoder_threads: int | None = None) -> tuple[MovableEpisode, dict[str, Any]]:
    """Encode ``frames`` (RGB uint8 H×W×3, or depth codes uint16 H×W) into one fragment; also returns the
    probed stream facts (``video.codec``, ``video.pix_fmt``, ...)."""
    first = np.asarray(frames[0])
    height, width = first.shape[:2]
    with tempfile.TemporaryDirectory(prefix="lerec-encode-") as tmp:
        path = Path(tmp) / "episode.mp4"
        encoder = VideoEncoding(config).open_encoder(path, width=width, height=height, fps=fps,
                                                     encoder_threads=encoder_threads, beside_loop=False)
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
