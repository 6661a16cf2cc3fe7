"""The RealSense plugin plays back real librealsense recordings made with a software device: no camera, no mocks."""

from __future__ import annotations

import numpy as np
import pyrealsense2 as rs
import pytest

from lerec.cameras import build_camera_config, camera_types, create_camera
from lerec.errors import CameraError, LerecError
from lerec.testing import check_camera
from lerec_realsense.config import RealSenseCameraConfig
from lerec_realsense.sensor_options import apply_sensor_options
from lerec_realsense.software_recording import (
    FPS, known_color, known_depth_mm, record_software_device,
)

FRAMES = 8


@pytest.fixture(scope="module", params=[0.00025, 0.001], ids=["L515-0.25mm", "D4xx-1mm"])
def recording(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("rs") / "software.db3"
    return record_software_device(path, FRAMES, depth_units=request.param), request.param


def camera(playback, **options):
    config = build_camera_config("realsense", {"playback": str(playback), "depth": True, **options})
    return create_camera("wrist", config)


async def test_playback_gives_injected_colour_and_depth_in_mm(recording):
    path, _ = recording
    cam = camera(path, realtime=False)
    frames = await check_camera(cam, frames_per_stream=FRAMES + 3, allow_fewer=True)
    assert [s.name for s in cam.streams] == ["color", "depth"]
    assert cam.streams[1].depth_unit == "mm"
    assert len(frames["color"]) == len(frames["depth"]) == FRAMES
    for n, (color, depth) in enumerate(zip(frames["color"], frames["depth"])):
        np.testing.assert_array_equal(color.data, known_color(n))
        np.testing.assert_array_equal(depth.data, known_depth_mm(n))


async def test_depth_in_metres_is_float32(recording):
    path, _ = recording
    frames = await check_camera(camera(path, realtime=False, color=False, depth_unit="m"), 2)
    assert frames["depth"][1].data.dtype == np.float32
    np.testing.assert_allclose(frames["depth"][1].data, known_depth_mm(1) / 1000.0, atol=1e-6)


async def test_realtime_playback_keeps_the_recorded_pace(recording):
    path, _ = recording
    frames = await check_camera(camera(path, color=False), FRAMES)
    gaps_ms = np.diff([f.timestamp_ns for f in frames["depth"]]) / 1e6
    np.testing.assert_allclose(gaps_ms, 1000 / FPS, atol=2)


async def test_sizes_are_checked_against_the_file(recording):
    path, _ = recording
    with pytest.raises(CameraError, match=r"camera 'wrist' stream 'color': 640x480@\* requested, the file has 64x48@30"):
        await camera(path, color_width=640, color_height=480).open()


async def test_missing_file_and_missing_stream_are_named_errors(tmp_path):
    with pytest.raises(CameraError, match=r"camera 'wrist'.*playback file .*nothing.db3.* does not exist"):
        await camera(tmp_path / "nothing.db3").open()
    depth_only = record_software_device(tmp_path / "depth-only.db3", 2, color=False)
    with pytest.raises(CameraError, match=r"camera 'wrist'.*cannot play .*depth-only.db3.* \['color', 'depth'\]"):
        await camera(depth_only).open()


async def test_absent_device_is_a_named_error():
    config = build_camera_config("realsense", {"serial": "000000000000", "connect_retries": 0})
    with pytest.raises(CameraError, match=r"camera 'wrist'.*no RealSense device with serial 000000000000"):
        await create_camera("wrist", config).open()


def option_range(low: float, high: float, step: float, default: float) -> rs.option_range:
    # set by name: pyrealsense2 2.59's positional constructor stores step and default swapped
    allowed = rs.option_range()
    allowed.min, allowed.max, allowed.step, allowed.default = low, high, step, default
    return allowed


def test_manual_options_are_checked_against_the_sensors_range():
    device = rs.software_device()
    sensor = device.add_sensor("RGB Camera")
    sensor.add_option(rs.option.exposure, option_range(1, 10000, 1, 156))
    sensor.add_option(rs.option.enable_auto_exposure, option_range(0, 1, 1, 1))
    apply_sensor_options("wrist", sensor, {"exposure": 300, "gain": None})
    assert sensor.get_option(rs.option.exposure) == 300
    assert sensor.get_option(rs.option.enable_auto_exposure) == 0
    with pytest.raises(CameraError, match=r"camera 'wrist'.*exposure 20000 is outside .* range 1..10000"):
        apply_sensor_options("wrist", sensor, {"exposure": 20000})
    with pytest.raises(CameraError, match=r"camera 'wrist'.*gain: .* has no gain option"):
        apply_sensor_options("wrist", sensor, {"gain": 16})


def test_config_validation_and_registration():
    with pytest.raises(LerecError, match="align_depth_to_color needs both"):
        build_camera_config("realsense", {"align_depth_to_color": True})
    with pytest.raises(LerecError, match="align_depth_to_color applies to a live device"):
        build_camera_config("realsense", {"playback": "a.bag", "depth": True, "align_depth_to_color": True})
    with pytest.raises(LerecError, match="give playback or a device"):
        build_camera_config("realsense", {"playback": "a.bag", "serial": "1"})
    assert camera_types()["realsense"].distribution == "lerec-realsense"
    assert camera_types()["realsense"].type.config_class is RealSenseCameraConfig
