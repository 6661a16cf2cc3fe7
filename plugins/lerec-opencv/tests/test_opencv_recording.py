"""Recording a video file through the OpenCV plugin: the dataset's decoded frames are the file's frames."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from lerec import Recorder, RGBEncoderConfig
from lerec.cameras.synthetic import read_frame_index, synthetic_rgb
from lerec.dataset.store.metadata import DatasetMeta
from lerec.testing import episode_video, record_with_cli
from lerec_opencv.config import OpenCVCameraConfig

WIDTH, HEIGHT, FPS, COUNT = 64, 48, 30, 150  # a 5 s file: longer than the episodes and the session around them
FAST_H264 = RGBEncoderConfig(vcodec="h264", preset="ultrafast", crf=18)  # crf 18: pixels stay close
KEY = "observation.images.front"


@pytest.fixture(scope="module")
def barcoded_video(tmp_path_factory) -> Path:
    """Frame n of the file is lerec's synthetic frame n, whose barcode survives lossy encoding."""
    path = tmp_path_factory.mktemp("video") / "barcoded.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "bgr0"
        for n in range(COUNT):
            frame = av.VideoFrame.from_ndarray(synthetic_rgb(n, WIDTH, HEIGHT), format="rgb24")
            container.mux(stream.encode(frame.reformat(format="bgr0")))
        container.mux(stream.encode())
    return path


def check_episode_is_the_files_frames(root: Path, episode: int = 0) -> list[int]:
    frames, seqs = episode_video(root, KEY, episode)
    assert len(frames) == len(seqs) == DatasetMeta.load(root).episodes[episode]["length"]
    assert [read_frame_index(frame) for frame in frames] == seqs  # row k shows the file frame it took
    assert seqs == sorted(seqs)
    for frame, seq in zip(frames, seqs):
        assert np.abs(frame.astype(int) - synthetic_rgb(seq, WIDTH, HEIGHT)).mean() < 8
    return seqs


async def test_recorder_records_the_files_frames(barcoded_video, tmp_path):
    camera = OpenCVCameraConfig(str(barcoded_video), width=WIDTH, height=HEIGHT, fps=FPS)
    async with Recorder.create(tmp_path / "ds", FPS, {"front": camera}, rgb_encoder=FAST_H264) as rec:
        report = await rec.record_episode("play the file", num_frames=30, step=lambda: {})
    assert report.length == 30
    meta = DatasetMeta.load(tmp_path / "ds")
    assert meta.features[KEY]["shape"][:2] == [HEIGHT, WIDTH]
    check_episode_is_the_files_frames(tmp_path / "ds")  # its pace: test_video_file_plays_at_its_fps_in_realtime


def test_lerec_record_with_an_opencv_camera(barcoded_video, tmp_path):
    root = tmp_path / "cli"
    cameras = f"{{front: {{type: opencv, index_or_path: '{barcoded_video}'}}}}"
    done = record_with_cli(root, cameras)
    assert done.returncode == 0, done.stderr
    assert DatasetMeta.load(root).episodes[0]["length"] == 15
    check_episode_is_the_files_frames(root)
