"""Robots and teleoperators: the protocol, discovery, and the built-in synthetic pair."""

from lerec.plugins.hookspecs import hookimpl
from lerec.robots.base import Robot, Teleop, vector_feature
from lerec.robots.synthetic import SyntheticRobotConfig, SyntheticTeleopConfig
from lerec.robots.types import FoundDevice, RobotType, TeleopType

__all__ = [
    "FoundDevice",
    "Robot",
    "RobotType",
    "SyntheticRobotConfig",
    "SyntheticTeleopConfig",
    "Teleop",
    "TeleopType",
    "hookimpl",
    "vector_feature",
]
