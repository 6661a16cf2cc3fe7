"""The OpenCV plugin reads a real video file (made with PyAV) and real failures, through lerec's contract check."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from lerec.cameras import build_camera_config, camera_types, create_camera
from lerec.errors import CameraError, LerecError
from lerec.testing import check_camera
from lerec_opencv.camera import OpenCVCamera, fourcc_text
from lerec_opencv.config import OpenCVCameraConfig

WIDTH, HEIGHT, FPS, COUNT = 64, 48, 20, 12


def source_frames() -> list[np.ndarray]:
    """RGB frames that differ in every frame and every channel."""
    rng = np.random.default_rng(7)
    return [rng.integers(0, 256, size=(HEIGHT, WIDTH, 3), dtype=np.uint8) for _ in range(COUNT)]


@pytest.fixture(scope="module")
def video_file(tmp_path_factory) -> Path:
    """A lossless FFV1 file, so the frames OpenCV decodes must equal the frames written."""
    path = tmp_path_factory.mktemp("video") / "clip.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "bgr0"
        for image in source_frames():
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="bgr0")))
        container.mux(stream.encode())
    return path


def camera(path: Path, **options) -> OpenCVCamera:
    return create_camera("front", build_camera_config("opencv", {"index_or_path": str(path), **options}))


async def test_video_file_gives_the_files_frames(video_file):
    frames = await check_camera(camera(video_file, realtime=False), frames_per_stream=COUNT + 5, allow_fewer=True)
    got = [frame.data for frame in frames["color"]]
    assert len(got) == COUNT
    for expected, image in zip(source_frames(), got):
        np.testing.assert_array_equal(image, expected)
    assert [frame.seq for frame in frames["color"]] == list(range(COUNT))


async def test_video_file_plays_at_its_fps_in_realtime(video_file):
    cam = camera(video_file, width=WIDTH, height=HEIGHT, fps=FPS)
    started_ns = time.monotonic_ns()
    frames = (await check_camera(cam, frames_per_stream=COUNT + 5, allow_fewer=True))["color"]
    assert cam.streams[0].fps == FPS
    assert [frame.seq for frame in frames] == list(range(COUNT))
    # Frame n is never delivered before n / fps after the file opened (a loaded machine may deliver it later).
    early = [f.seq for f in frames if f.timestamp_ns - started_ns < f.seq * 1_000_000_000 // FPS]
    assert early == []


async def test_rotation_and_colour_order(video_file):
    rotated = (await check_camera(camera(video_file, realtime=False, rotation=90), 2))["color"]
    assert rotated[0].data.shape == (WIDTH, HEIGHT, 3)
    np.testing.assert_array_equal(rotated[0].data, np.rot90(source_frames()[0], k=-1))
    # a backend that already delivers RGB: OpenCV's BGR taken as RGB comes out channel-reversed
    as_is = (await check_camera(camera(video_file, realtime=False, color_order="rgb"), 1))["color"]
    np.testing.assert_array_equal(as_is[0].data, source_frames()[0][..., ::-1])


async def test_size_and_fps_are_verified_naming_what_the_source_gives(video_file):
    with pytest.raises(CameraError, match=r"camera 'front'.*size 640x480 requested, the file is 64x48"):
        await camera(video_file, width=640, height=480).open()
    with pytest.raises(CameraError, match=r"fps 30 requested, the file is 20"):
        await camera(video_file, fps=30).open()


async def test_missing_device_and_file_are_named_errors(tmp_path):
    with pytest.raises(CameraError, match=r"camera 'front'.*device /dev/video97 does not exist"):
        await camera(Path("/dev/video97")).open()
    with pytest.raises(CameraError, match=r"camera 'front'.*video file .*missing.mp4.* does not exist"):
        await camera(tmp_path / "missing.mp4").open()


def test_a_camera_that_does_not_open_is_one_line_without_opencvs_own_warnings(tmp_path):
    done = subprocess.run([sys.executable, "-m", "lerec", "record", f"--dataset.root={tmp_path / 'ds'}",
                           "--cameras={cam: {type: opencv, index_or_path: 97}}", "--dataset.single_task=look"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        "lerec record: error: camera 'cam': OpenCV cannot open 97 (backend any; `lerec cameras --find` lists the "
        "devices)"], done.stderr


async def test_unreadable_file_is_a_named_error(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video" * 100)
    with pytest.raises(CameraError, match=r"camera 'front'"):
        await camera(junk).open()


def test_options_are_validated_naming_the_option():
    with pytest.raises(LerecError, match="rotation must be 0, 90, 180 or 270"):
        build_camera_config("opencv", {"index_or_path": 0, "rotation": 45})
    with pytest.raises(LerecError, match="fourcc must be 4 characters"):
        build_camera_config("opencv", {"index_or_path": 0, "fourcc": "MJPEG"})
    with pytest.raises(LerecError, match="has no option 'resolution'"):
        build_camera_config("opencv", {"index_or_path": 0, "resolution": "hd"})
    config = build_camera_config("opencv", {"index_or_path": "2", "rotation": -90})
    assert (config.index_or_path, config.source_kind, config.rotation) == (2, "device", 270)
    assert OpenCVCameraConfig("rtsp://robot/cam").source_kind == "stream"


def test_registered_through_its_own_distribution():
    registered = camera_types()["opencv"]
    assert registered.distribution == "lerec-opencv"
    assert registered.type.config_class is OpenCVCameraConfig
    assert fourcc_text(cv2.VideoWriter_fourcc(*"MJPG")) == "MJPG"
