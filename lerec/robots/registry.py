"""Robot and teleoperator types discovered from the ``lerec.robots`` / ``lerec.teleops`` entry-point groups."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from lerec.errors import LerecError, SettingsError
from lerec.plugins import manager
from lerec.plugins.manager import Provided, provided
from lerec.robots.base import Robot, Teleop

KINDS = {"robot": ("lerec_robot_types", Robot), "teleop": ("lerec_teleop_types", Teleop)}


@functools.cache
def device_types(kind: str) -> dict[str, Provided]:
    """Every installed type of ``kind`` ("robot" or "teleop"), by name."""
    return provided(KINDS[kind][0], kind)


def _get(kind: str, type_name: str):
    types = device_types(kind)
    if type_name not in types:
        raise SettingsError(
            f"unknown {kind} type {type_name!r}; installed: {', '.join(sorted(types)) or 'none'} "
            f"(`lerec robots` lists them; {kind} plugins are installed as Python packages)"
        )
    return types[type_name].type


def build_config(kind: str, type_name: str, options: Mapping[str, Any]) -> Any:
    """Build a ``kind`` type's config from user options, with errors naming the bad option."""
    return manager.build_config(_get(kind, type_name).config_class, dict(options), f"{kind} type {type_name!r}")


def create(kind: str, config_or_device: Any) -> Robot | Teleop:
    """A device from a config of any installed ``kind`` type, or the device itself when given one."""
    base = KINDS[kind][1]
    if isinstance(config_or_device, base):
        return config_or_device
    for registered in device_types(kind).values():
        if isinstance(config_or_device, registered.type.config_class):
            device = registered.type.create(config_or_device)
            if not isinstance(device, base):
                raise LerecError(f"{kind} type {registered.type.name!r} created a {type(device).__name__}, "
                                 f"not a lerec.robots.{base.__name__}")
            return device
    raise LerecError(f"no installed {kind} type takes a config of class {type(config_or_device).__name__}")
