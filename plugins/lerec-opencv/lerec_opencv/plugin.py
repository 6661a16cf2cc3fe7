"""Registers ``type: opencv`` with lerec (entry point ``lerec.cameras``: ``opencv``)."""

from __future__ import annotations

from lerec.cameras.registry_types import CameraType
from lerec.plugins.hookspecs import hookimpl


def _create(name, config):
    from lerec_opencv.camera import OpenCVCamera

    return OpenCVCamera(name, config)


def _find():
    from lerec_opencv.find import find_opencv_cameras

    return find_opencv_cameras()


@hookimpl
def lerec_camera_types() -> list[CameraType]:
    from lerec_opencv.config import OpenCVCameraConfig

    return [
        CameraType(
            name="opencv",
            config_class=OpenCVCameraConfig,
            create=_create,
            find=_find,
            description="USB/V4L2 cameras, network streams and video files through OpenCV",
        )
    ]
