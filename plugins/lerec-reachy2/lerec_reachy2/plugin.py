"""Registers ``type: reachy2`` with lerec (entry point ``lerec.cameras``: ``reachy2``)."""

from __future__ import annotations

from lerec.cameras.registry_types import CameraType
from lerec.plugins.hookspecs import hookimpl


def _create(name, config):
    from lerec_reachy2.camera import Reachy2Camera  # reachy2-sdk (gRPC, OpenCV) loads only when a camera is made

    return Reachy2Camera(name, config)


def _find():
    from lerec_reachy2.find import find_reachy2_cameras

    return find_reachy2_cameras()


@hookimpl
def lerec_camera_types() -> list[CameraType]:
    from lerec_reachy2.config import Reachy2CameraConfig

    return [
        CameraType(
            name="reachy2",
            config_class=Reachy2CameraConfig,
            create=_create,
            find=_find,
            description="Reachy 2 teleop (stereo) and torso depth cameras over gRPC, via reachy2-sdk",
        )
    ]
