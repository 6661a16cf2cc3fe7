"""List the connected RealSense devices."""

from __future__ import annotations

import pyrealsense2 as rs

from lerec.cameras.registry_types import FoundCamera


def _info(device: rs.device, field: rs.camera_info) -> str:
    return device.get_info(field) if device.supports(field) else "?"


def find_realsense_cameras() -> list[FoundCamera]:
    """Every RealSense device librealsense sees, with its serial (and depth on when it has a depth sensor)."""
    found = []
    for device in rs.context().query_devices():
        serial = _info(device, rs.camera_info.serial_number)
        has_depth = any(sensor.is_depth_sensor() for sensor in device.query_sensors())
        label = (
            f"{_info(device, rs.camera_info.name)} serial {serial}, firmware "
            f"{_info(device, rs.camera_info.firmware_version)}, USB {_info(device, rs.camera_info.usb_type_descriptor)}"
        )
        found.append(FoundCamera(label, {"serial": serial, "depth": has_depth}))
    return found
