"""What a robot and a teleoperator are to lerec: features declared up front, async calls, numpy values.

Values travel as mappings from dataset feature names to 1-D numpy arrays, the way they land in the parquet:
``{"observation.state": array([...6 joints...])}``, ``{"action": array([...])}``. A robot driven by a library of
per-joint floats (LeRobot's ``{"shoulder_pan.pos": 0.1, ...}``) maps them onto these vectors in the order of the
feature's ``names`` (:func:`vector_feature`).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

Features = Mapping[str, Mapping[str, Any]]  # feature name -> {"dtype", "shape", "names"} as in info.json
Values = Mapping[str, np.ndarray]


def vector_feature(names: Sequence[str], dtype: str = "float32") -> dict[str, Any]:
    """A 1-D feature whose elements are named, as LeRobot groups a robot's float features into
    ``observation.state`` and ``action``."""
    return {"dtype": dtype, "shape": [len(names)], "names": list(names)}


class Robot(abc.ABC):
    """A robot: read its observation, send it an action. Created from its config without I/O; ``open`` connects.

    Every method that may block (serial I/O, an SDK call) must run it through ``anyio.to_thread.run_sync``
    (with a ``CapacityLimiter(1)`` when the SDK is not thread-safe): the recorder's control loop shares the event
    loop with the cameras. Raise :class:`lerec.errors.RobotError` (or anything: the recorder names the robot).
    """

    #: The robot type, written to info.json's ``robot_type`` (LeRobot's ``robot.name``, e.g. "so101_follower").
    name: str = "robot"
    #: This unit's id (LeRobot's ``--robot.id``), shown in errors; None when the type has no ids.
    id: str | None = None

    @property
    @abc.abstractmethod
    def observation_features(self) -> Features:
        """The numeric features :meth:`read` returns (``observation.state`` and any other); valid before open."""

    @property
    @abc.abstractmethod
    def action_features(self) -> Features:
        """The features :meth:`send` takes (usually just ``action``); valid before open."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and configure. A robot that cannot start raises here, before any episode."""

    @abc.abstractmethod
    async def read(self) -> Values:
        """The observation now: one value per observation feature."""

    @abc.abstractmethod
    async def send(self, action: Values) -> None:
        """Command ``action`` (one value per action feature). The dataset records the action given, as
        LeRobot's record loop does."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Disconnect. Always called once ``open`` was tried; safe twice and after a failed open."""


class Teleop(abc.ABC):
    """A teleoperator (leader arm, gamepad, ...): gives the action of each tick. Same rules as :class:`Robot`."""

    name: str = "teleop"
    id: str | None = None

    @property
    @abc.abstractmethod
    def action_features(self) -> Features:
        """The features :meth:`get_action` returns; they must equal the robot's ``action_features``."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and configure."""

    @abc.abstractmethod
    async def get_action(self) -> Values:
        """The action now: one value per action feature."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Disconnect; safe twice and after a failed open."""

    async def follow(self, action: Values) -> bool:
        """Move a motorised leader to ``action`` (what the follower was last sent) and let go of it, before a human
        takes over from a policy; False when this teleop cannot (the default)."""
        return False


def describe(device: Robot | Teleop) -> str:
    """``robot 'so101_follower' (id 'left')``: how errors name a device."""
    kind = "robot" if isinstance(device, Robot) else "teleop"
    return f"{kind} {device.name!r}" + (f" (id {device.id!r})" if device.id else "")
