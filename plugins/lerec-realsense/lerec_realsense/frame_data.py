"""librealsense frames as the arrays lerec records: RGB ``uint8``, depth in millimetres or metres."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pyrealsense2 as rs

RS_STREAM = {"color": rs.stream.color, "depth": rs.stream.depth}  # lerec's stream names in librealsense
COLOR_CHANNELS = {  # how to take RGB out of each colour format librealsense can deliver
    rs.format.rgb8: np.s_[..., :],
    rs.format.bgr8: np.s_[..., ::-1],
    rs.format.rgba8: np.s_[..., :3],
    rs.format.bgra8: np.s_[..., 2::-1],
}


def device_info(device: rs.device, field: rs.camera_info) -> str:
    """A device's info field (name, serial number...), or ``"?"`` when it has none."""
    return device.get_info(field) if device.supports(field) else "?"


def profile_stream(profile: rs.stream_profile) -> str | None:
    """``"color"``, ``"depth"``, or ``None`` for a stream lerec does not record (infrared, motion)."""
    kind = profile.stream_type()
    return "color" if kind == rs.stream.color else "depth" if kind == rs.stream.depth else None


def stream_name(frame: rs.frame) -> str | None:
    return profile_stream(frame.get_profile())


def color_rgb(frame: rs.frame) -> np.ndarray:
    """A colour frame (in one of :data:`COLOR_CHANNELS`' formats) as a new RGB ``uint8 (H, W, 3)`` array."""
    channels = COLOR_CHANNELS[frame.get_profile().format()]
    return np.ascontiguousarray(np.asanyarray(frame.get_data())[channels])


def depth_array(frame: rs.frame, unit: Literal["mm", "m"]) -> np.ndarray:
    """A depth frame converted with its own depth units (metres per step: 0.001 on a D4xx, 0.00025 on an L515)
    into ``uint16`` millimetres or ``float32`` metres."""
    raw = np.asanyarray(frame.get_data())
    units = frame.as_depth_frame().get_units()
    if unit == "m":
        return raw.astype(np.float32) * np.float32(units)
    if abs(units - 0.001) < 1e-9:
        return raw.copy()
    return np.rint(raw.astype(np.float32) * np.float32(units * 1000.0)).clip(0, 65535).astype(np.uint16)


def frame_array(frame: rs.frame, stream: str, depth_unit: Literal["mm", "m"]) -> np.ndarray:
    return color_rgb(frame) if stream == "color" else depth_array(frame, depth_unit)
