"""The record a plugin returns to describe one sensor type (:class:`~lerec.plugins.device_types.DeviceType`)."""

from __future__ import annotations

from lerec.plugins.device_types import DeviceType, FoundDevice

FoundSensor = FoundDevice  # a connected sensor: the options to paste into --sensors


class SensorType(DeviceType):
    """A sensor type, whose ``create(name, config)`` returns a :class:`~lerec.sensors.base.Sensor`."""
