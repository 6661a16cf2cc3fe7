"""Real librealsense recordings without a camera: a software device feeds known frames into rs.recorder (for tests)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyrealsense2 as rs

from lerec.cameras.synthetic import synthetic_rgb

WIDTH, HEIGHT, FPS = 64, 48, 30


def known_color(n: int) -> np.ndarray:
    """lerec's synthetic frame n: its barcode tells which frame a lossy decoded image is."""
    return synthetic_rgb(n, WIDTH, HEIGHT)


def known_depth_mm(n: int) -> np.ndarray:
    """Depth in whole millimetres, 0 (no data) in the top-left corner."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    mm = (300 + 7 * x + 11 * y + 5 * n).astype(np.uint16)
    mm[:4, :4] = 0
    return mm


def _video_stream(kind: rs.stream, uid: int, fmt: rs.format, bpp: int) -> rs.video_stream:
    intrinsics = rs.intrinsics()
    intrinsics.width, intrinsics.height = WIDTH, HEIGHT
    intrinsics.ppx, intrinsics.ppy, intrinsics.fx, intrinsics.fy = WIDTH / 2, HEIGHT / 2, 60.0, 60.0
    intrinsics.model = rs.distortion.none
    stream = rs.video_stream()
    stream.type, stream.index, stream.uid, stream.fmt, stream.bpp = kind, 0, uid, fmt, bpp
    stream.width, stream.height, stream.fps, stream.intrinsics = WIDTH, HEIGHT, FPS, intrinsics
    return stream


def _inject(sensor: rs.software_sensor, profile, n: int, pixels: np.ndarray, bpp: int, units: float | None) -> None:
    frame = rs.software_video_frame()
    frame.pixels, frame.bpp, frame.stride = pixels, bpp, bpp * WIDTH
    frame.timestamp, frame.domain = 1000.0 + n * 1000.0 / FPS, rs.timestamp_domain.hardware_clock
    frame.frame_number, frame.profile = n, profile.as_video_stream_profile()
    if units is not None:
        frame.depth_units = units
    sensor.on_video_frame(frame)


def record_software_device(path: Path, frames: int, depth_units: float = 0.00025, color: bool = True) -> Path:
    """Record ``frames`` frames of :func:`known_color` and :func:`known_depth_mm` (stored as raw steps of
    ``depth_units`` metres, as a real device would) from a software device into ``path`` (.db3)."""
    device = rs.software_device()
    device.register_info(rs.camera_info.name, "Software RealSense")
    device.register_info(rs.camera_info.serial_number, "0123456789")
    depth_sensor = device.add_sensor("Stereo Module")
    depth_profile = depth_sensor.add_video_stream(_video_stream(rs.stream.depth, 0, rs.format.z16, 2))
    depth_sensor.add_read_only_option(rs.option.depth_units, depth_units)
    sensors = [(depth_sensor, depth_profile)]
    if color:
        color_sensor = device.add_sensor("RGB Camera")
        color_profile = color_sensor.add_video_stream(_video_stream(rs.stream.color, 1, rs.format.rgb8, 3))
        identity = rs.extrinsics()
        identity.rotation, identity.translation = [1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0], [0.0, 0, 0]
        depth_profile.register_extrinsics_to(color_profile, identity)  # aligned depth keeps its pixels
        sensors.append((color_sensor, color_profile))
    device.create_matcher(rs.matchers.default)
    recorder = rs.recorder(str(path), device)
    for sensor, profile in sensors:
        sensor.open(profile)
        sensor.start(lambda frame: None)
    keep_alive = []  # librealsense reads the pixels after on_video_frame returns
    for n in range(frames):
        raw = np.rint(known_depth_mm(n) / (depth_units * 1000.0)).astype(np.uint16)
        keep_alive.append(raw)
        _inject(depth_sensor, depth_profile, n, raw, 2, depth_units)
        if color:
            keep_alive.append(known_color(n))
            _inject(color_sensor, color_profile, n, keep_alive[-1], 3, None)
        time.sleep(0.002)
    for sensor, _ in sensors:
        sensor.stop()
        sensor.close()
    del recorder  # the file is complete once the recorder is gone
    return path
