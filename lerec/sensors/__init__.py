"""Sensors sampled at their own rate beside the cameras: the protocol, its hook, discovery, the synthetic ones."""

from lerec.sensors.base import SampleBatch, Sensor, SensorSpec
from lerec.sensors.registry_types import FoundSensor, SensorType

__all__ = ["FoundSensor", "SampleBatch", "Sensor", "SensorSpec", "SensorType"]
