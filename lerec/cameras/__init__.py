"""Cameras: the protocol, the plugin contract, discovery, and the built-in synthetic camera."""

from lerec.cameras.base import Camera, Frame, StreamSpec, feature_key
from lerec.cameras.registry import (
    build_camera_config,
    camera_types,
    create_camera,
    get_camera_type,
)
from lerec.cameras.registry_types import CameraType, FoundCamera
from lerec.plugins.hookspecs import hookimpl

__all__ = [
    "Camera",
    "CameraType",
    "FoundCamera",
    "Frame",
    "StreamSpec",
    "build_camera_config",
    "camera_types",
    "create_camera",
    "feature_key",
    "get_camera_type",
    "hookimpl",
]
