"""Camera types discovered through pluggy from the ``lerec.cameras`` entry-point group (:mod:`lerec.plugins`)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from lerec.cameras.base import Camera
from lerec.cameras.registry_types import CameraType
from lerec.errors import LerecError, SettingsError
from lerec.plugins.manager import Provided, build_config, provided

RegisteredCameraType = Provided  # a camera type together with the distribution that provides it


@functools.cache
def camera_types() -> dict[str, RegisteredCameraType]:
    """Every camera type installed, by name."""
    return provided("lerec_camera_types", "camera")


def get_camera_type(type_name: str) -> CameraType:
    """The camera type called ``type_name``, or an error listing the installed ones."""
    types = camera_types()
    if type_name not in types:
        raise SettingsError(
            f"unknown camera type {type_name!r}; installed: {', '.join(sorted(types)) or 'none'}"
            " (camera plugins are installed as Python packages, e.g. `pip install ./plugins/lerec-opencv`)"
        )
    return types[type_name].type


def build_camera_config(type_name: str, options: Mapping[str, Any]) -> Any:
    """Build a camera type's config from user options, with errors naming the bad option."""
    return build_config(get_camera_type(type_name).config_class, dict(options), f"camera type {type_name!r}")


def camera_type_of(config: Any) -> CameraType:
    """The registered camera type whose config class ``config`` is an instance of."""
    for registered in camera_types().values():
        if isinstance(config, registered.type.config_class):
            return registered.type
    raise LerecError(f"no installed camera type takes a config of class {type(config).__name__}")


def create_camera(name: str, config: Any) -> Camera:
    """Create the camera ``name`` from a config object of any installed camera type."""
    return camera_type_of(config).create(name, config)
