"""Small real datasets: synthetic cameras, real encoders (h264 ultrafast at small sizes to stay fast)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from lerec import Recorder, RGBEncoderConfig, SyntheticCameraConfig
from lerec.cameras.synthetic import read_frame_index
from lerec.testing import episode_video

FAST_H264 = RGBEncoderConfig(vcodec="h264", preset="ultrafast")
STATE = {"observation.state": {"dtype": "float32", "shape": [3], "names": ["x", "y", "z"]},
         "action": {"dtype": "float32", "shape": [3]}}


def small_camera(**options) -> SyntheticCameraConfig:
    return SyntheticCameraConfig(**{"width": 64, "height": 48, "fps": 30, **options})


class CountingRobot:
    """A step function whose values say which tick they come from."""

    def __init__(self):
        self.tick = 0

    def __call__(self):
        value = np.full(3, self.tick, dtype=np.float32)
        self.tick += 1
        return {"observation.state": value, "action": value + 0.5}


async def record(root: Path, cameras: dict, episodes: int = 1, num_frames: int = 20, **options):
    """Record ``episodes`` episodes; returns their reports."""
    options.setdefault("rgb_encoder", FAST_H264)
    robot = CountingRobot()
    reports = []
    async with Recorder.create(root, 30, cameras, STATE, **options) as rec:
        for _ in range(episodes):
            reports.append(await rec.record_episode("pick the cube", num_frames=num_frames, step=robot))
    return reports


def decode_file(path: Path) -> list[tuple[float, np.ndarray]]:
    """Every frame of an MP4 as (seconds, RGB array)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [(float(f.pts * stream.time_base), f.to_ndarray(format="rgb24")) for f in container.decode(stream)]


def episode_frames(root: Path, key: str, episode: int) -> list[np.ndarray]:
    """The decoded frames of one episode of one video feature, located through meta/episodes."""
    return episode_video(root, key, episode)[0]


def barcodes(frames: list[np.ndarray]) -> list[int]:
    return [read_frame_index(f) for f in frames]
