"""The records a plugin returns to describe a robot or teleoperator type
(:class:`~lerec.plugins.device_types.DeviceType`)."""

from __future__ import annotations

from lerec.plugins.device_types import DeviceType, FoundDevice

__all__ = ["FoundDevice", "RobotType", "TeleopType"]


class RobotType(DeviceType):
    """A robot type, whose ``create(config)`` returns a :class:`~lerec.robots.base.Robot`."""


class TeleopType(DeviceType):
    """A teleoperator type, whose ``create(config)`` returns a :class:`~lerec.robots.base.Teleop`."""
