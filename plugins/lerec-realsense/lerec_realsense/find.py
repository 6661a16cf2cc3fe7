"""List the connected RealSense devices."""

from __future__ import annotations

import pyrealsense2 as rs

from lerec.cameras.registry_types import FoundCamera
from lerec_realsense.frame_data import device_info


def find_realsense_cameras() -> list[FoundCamera]:
    """Every RealSense device librealsense sees, with its serial (and depth on when it has a depth sensor)."""
    found = []
    for device in rs.context().query_devices():
        serial = device_info(device, rs.camera_info.serial_number)
        has_depth = any(sensor.is_depth_sensor() for sensor in device.query_sensors())
        name, firmware, usb = (
            device_info(device, field)
            for field in (rs.camera_info.name, rs.camera_info.firmware_version, rs.camera_info.usb_type_descriptor)
        )
        label = f"{name} serial {serial}, firmware {firmware}, USB {usb}"
        found.append(FoundCamera(label, {"serial": serial, "depth": has_depth}))
    return found
