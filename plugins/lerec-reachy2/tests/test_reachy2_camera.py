"""The Reachy 2 plugin against a real gRPC VideoService on 127.0.0.1 (reachy2_sdk_api's servicer): no robot."""

from __future__ import annotations

import anyio
import numpy as np
import pytest
from reachy2_sdk_api import video_pb2

from lerec.cameras import build_camera_config, camera_types, create_camera
from lerec.errors import CameraError, LerecError
from lerec.testing import check_camera, read_frames
from lerec_reachy2.config import Reachy2CameraConfig
from lerec_reachy2.find import find_reachy2_cameras
from lerec_reachy2.loopback_server import HEIGHT, WIDTH, served_color, served_depth_mm, start_video_server


@pytest.fixture
def video_server():
    server, port = start_video_server()
    yield server, port
    server.stop(None)


def camera(port: int, **options):
    config = build_camera_config("reachy2", {"host": "127.0.0.1", "port": port, "fps": 30, **options})
    return create_camera("head", config)


async def test_teleop_frames_from_the_first_tick_in_rgb_order(video_server):
    _, port = video_server
    cam = camera(port, image_type="right")
    frames = (await check_camera(cam, frames_per_stream=6))["color"]
    assert cam.streams[0].width == WIDTH and cam.streams[0].height == HEIGHT
    for n, frame in enumerate(frames):  # the first frame served is the first frame delivered
        np.testing.assert_allclose(frame.data.mean(axis=(0, 1)), served_color(n, video_pb2.RIGHT)[0, 0], atol=3)


async def test_depth_frames_are_a_depth_stream_in_mm(video_server):
    _, port = video_server
    cam = camera(port, name="depth", image_type="depth")
    frames = (await check_camera(cam, frames_per_stream=4))["depth"]
    assert (cam.streams[0].kind, cam.streams[0].depth_unit) == ("depth", "mm")
    for n, frame in enumerate(frames):
        np.testing.assert_array_equal(frame.data, served_depth_mm(n))


async def test_frames_are_polled_at_the_configured_fps(video_server):
    _, port = video_server
    frames = (await check_camera(camera(port, fps=20), frames_per_stream=8))["color"]
    # Polls follow a 50 ms schedule that skips the ticks a loaded machine misses, so they are never faster than
    # 20 fps (how much slower depends on the load: not asserted). Two periods of slack: the first poll's lateness
    # and the rounding of the schedule; 10 ms for the robot-clock mapping.
    span_ms = (frames[-1].timestamp_ns - frames[0].timestamp_ns) / 1e6
    assert span_ms >= (len(frames) - 3) * 50 - 10


async def test_killing_the_server_while_reading_raises_an_error_naming_the_camera(video_server):
    server, port = video_server
    cam = camera(port, read_timeout_s=1.0)
    await cam.open()
    try:
        assert len((await read_frames(cam, 3))["color"]) == 3
        server.stop(None)
        with anyio.fail_after(5), pytest.raises(CameraError, match=rf"camera 'head'.*127.0.0.1:{port}"):
            async for _ in cam.frames():
                pass
    finally:
        await cam.close()


async def test_no_server_is_a_named_error_at_open():
    server, port = start_video_server()
    server.stop(None)
    with pytest.raises(CameraError, match=rf"camera 'head': cannot connect .* 127.0.0.1:{port}: UNAVAILABLE: "):
        await camera(port, read_timeout_s=1.0).open()


def test_find_lists_each_image_of_each_camera(video_server):
    _, port = video_server
    found = find_reachy2_cameras("127.0.0.1", port, timeout_s=60)  # the server is there: a loaded machine may be slow
    assert [(f.options["name"], f.options["image_type"]) for f in found] == [
        ("teleop", "left"), ("teleop", "right"), ("depth", "rgb"), ("depth", "depth"),
    ]
    assert all(f.options["port"] == port for f in found)
    build_camera_config("reachy2", found[3].options)  # what find prints is a valid config


def test_config_validation_and_registration():
    with pytest.raises(LerecError, match="image_type 'depth' is not an image of the teleop camera"):
        build_camera_config("reachy2", {"name": "teleop", "image_type": "depth"})
    assert camera_types()["reachy2"].distribution == "lerec-reachy2"
    assert camera_types()["reachy2"].type.config_class is Reachy2CameraConfig
