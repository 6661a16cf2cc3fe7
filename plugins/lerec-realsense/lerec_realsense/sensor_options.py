"""Manual exposure, gain and white balance on a RealSense sensor, checked against the sensor's own ranges."""

from __future__ import annotations

import pyrealsense2 as rs

from lerec.errors import CameraError

# option name in lerec's config -> (the librealsense option, the auto mode it overrides)
MANUAL_OPTIONS = {
    "exposure": (rs.option.exposure, rs.option.enable_auto_exposure),
    "gain": (rs.option.gain, rs.option.enable_auto_exposure),
    "white_balance": (rs.option.white_balance, rs.option.enable_auto_white_balance),
}


def apply_sensor_options(camera: str, sensor: rs.sensor, values: dict[str, float | None]) -> None:
    """Set each given option on ``sensor`` (turning its auto mode off); a value outside the range the sensor
    reports, or an option the sensor lacks, is a :class:`CameraError` naming option, value and range."""
    for key, value in values.items():
        if value is None:
            continue
        option, auto = MANUAL_OPTIONS[key]
        sensor_name = sensor.get_info(rs.camera_info.name) if sensor.supports(rs.camera_info.name) else "sensor"
        if not sensor.supports(option):
            raise CameraError(camera, f"{key}: the {sensor_name} sensor has no {option.name} option")
        allowed = sensor.get_option_range(option)
        if not allowed.min <= value <= allowed.max:
            raise CameraError(
                camera,
                f"{key} {value:g} is outside the {sensor_name} sensor's range {allowed.min:g}..{allowed.max:g}"
                f" (step {allowed.step:g})",
            )
        if sensor.supports(auto):
            sensor.set_option(auto, 0)
        sensor.set_option(option, value)
