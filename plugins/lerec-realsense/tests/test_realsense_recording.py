"""Recording RealSense colour + depth (a software-device recording played back) into a dataset."""

from __future__ import annotations


import numpy as np
import pytest

from lerec import Recorder, RGBEncoderConfig
from lerec.cameras.synthetic import read_frame_index
from lerec.dataset.store.metadata import DatasetMeta
from lerec.encoding.config import DepthEncoderConfig
from lerec.encoding.depth import quantize_depth
from lerec.testing import episode_video, record_with_cli
from lerec_realsense.config import RealSenseCameraConfig
from lerec_realsense.software_recording import (
    FPS, HEIGHT, WIDTH, known_color, known_depth_mm, record_software_device,
)

FAST_H264 = RGBEncoderConfig(vcodec="h264", preset="ultrafast", crf=18)  # crf 18: pixels stay close
COLOR, DEPTH = "observation.images.wrist", "observation.images.wrist_depth"


@pytest.fixture(scope="module")
def l515_recording(tmp_path_factory):
    """4 s of colour and depth stored in 0.25 mm steps, as an L515 records them."""
    return record_software_device(tmp_path_factory.mktemp("rs") / "l515.db3", 4 * FPS, depth_units=0.00025)


def check_colour_and_depth(root) -> None:
    meta = DatasetMeta.load(root)
    assert meta.features[DEPTH]["info"]["is_depth_map"] is True
    assert meta.features[DEPTH]["shape"][:2] == [HEIGHT, WIDTH]
    colors, color_seqs = episode_video(root, COLOR, 0)
    assert [read_frame_index(frame) for frame in colors] == color_seqs
    for frame, seq in zip(colors, color_seqs):
        assert np.abs(frame.astype(int) - known_color(seq)).mean() < 8
    codes, depth_seqs = episode_video(root, DEPTH, 0)
    assert len(codes) == len(colors) == meta.episodes[0]["length"]
    for code, seq in zip(codes, depth_seqs):  # depth in mm, scale applied, within one quantization step
        expected = quantize_depth(known_depth_mm(seq), DepthEncoderConfig())
        assert np.abs(code.astype(int) - expected).max() <= 1


async def test_recorder_records_realsense_colour_and_depth(l515_recording, tmp_path):
    camera = RealSenseCameraConfig(playback=str(l515_recording), depth=True)
    async with Recorder.create(tmp_path / "ds", FPS, {"wrist": camera}, rgb_encoder=FAST_H264) as rec:
        report = await rec.record_episode("watch", num_frames=30, step=lambda: {})
    assert report.length == 30
    check_colour_and_depth(tmp_path / "ds")


def test_lerec_record_with_a_realsense_recording(l515_recording, tmp_path):
    root = tmp_path / "cli"
    cameras = f"{{wrist: {{type: realsense, playback: '{l515_recording}', depth: true}}}}"
    done = record_with_cli(root, cameras)
    assert done.returncode == 0, done.stderr
    check_colour_and_depth(root)
