"""The record a plugin returns to describe one camera type (:class:`~lerec.plugins.device_types.DeviceType`)."""

from __future__ import annotations

from lerec.plugins.device_types import DeviceType, FoundDevice

FoundCamera = FoundDevice  # a connected camera: the options to paste into --cameras


class CameraType(DeviceType):
    """A camera type, whose ``create(name, config)`` returns a :class:`~lerec.cameras.base.Camera`."""
