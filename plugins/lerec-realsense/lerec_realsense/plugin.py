"""Registers ``type: realsense`` with lerec (entry point ``lerec.cameras``: ``realsense``)."""

from __future__ import annotations

from lerec.cameras.registry_types import CameraType
from lerec.plugins.hookspecs import hookimpl


def _create(name, config):
    from lerec_realsense.camera import RealSenseCamera

    return RealSenseCamera(name, config)


def _find():
    from lerec_realsense.find import find_realsense_cameras

    return find_realsense_cameras()


@hookimpl
def lerec_camera_types() -> list[CameraType]:
    from lerec_realsense.config import RealSenseCameraConfig

    return [
        CameraType(
            name="realsense",
            config_class=RealSenseCameraConfig,
            create=_create,
            find=_find,
            description="Intel RealSense colour and depth (live, or a recorded .bag/.db3 file)",
        )
    ]
