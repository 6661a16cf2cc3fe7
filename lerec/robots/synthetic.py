"""The ``synthetic`` robot and teleoperator: no hardware, deterministic in the tick, so a test checks every row.

The teleop's ``n``-th action is :func:`synthetic_action` ``(n)``. The robot starts at zero and each tick moves
``gain`` of the way to the last action it was sent: with the default ``gain=1``, the observation read at tick
``k`` is the action sent at tick ``k - 1``. Both run their calls on a worker thread, as a real SDK's would.
"""

from __future__ import annotations

import math

import anyio
import attrs
import numpy as np

from lerec.errors import RobotError
from lerec.plugins.hookspecs import hookimpl
from lerec.robots.base import Features, Robot, Teleop, Values, vector_feature
from lerec.robots.types import RobotType, TeleopType


def _at_least_one(_, attribute, value):
    if value < 1:
        raise ValueError(f"{attribute.name} must be >= 1, got {value!r}")


def _gain(_, attribute, value):
    if not 0 < value <= 1:
        raise ValueError(f"{attribute.name} must be in (0, 1], got {value!r}")


def joint_names(joints: int) -> list[str]:
    return [f"joint_{i}.pos" for i in range(joints)]


def synthetic_action(n: int, joints: int = 6, period_ticks: int = 90) -> np.ndarray:
    """The synthetic teleop's ``n``-th action: each joint a sine of period ``period_ticks``, shifted per joint."""
    phase = 2 * math.pi * n / period_ticks + np.arange(joints) * (math.pi / joints)
    return (0.8 * np.sin(phase)).astype(np.float32)


@attrs.define(frozen=True)
class SyntheticRobotConfig:
    """A robot that needs no hardware. ``joints``: size of ``observation.state`` and ``action``; ``gain``: the
    fraction of the way to the last action moved each tick; ``fail_at``: raise a RobotError at that read."""

    joints: int = attrs.field(default=6, validator=_at_least_one)
    gain: float = attrs.field(default=1.0, validator=_gain)
    fail_at: int | None = None
    id: str | None = None


@attrs.define(frozen=True)
class SyntheticTeleopConfig:
    """A teleoperator that needs no hardware: its ``n``-th action is ``synthetic_action(n, joints,
    period_ticks)``. ``fail_at``: raise at that action."""

    joints: int = attrs.field(default=6, validator=_at_least_one)
    period_ticks: int = attrs.field(default=90, validator=_at_least_one)
    fail_at: int | None = None
    id: str | None = None


class SyntheticRobot(Robot):
    name = "synthetic"

    def __init__(self, config: SyntheticRobotConfig):
        self.config = config
        self.id = config.id
        self.reads = 0
        self._state = np.zeros(config.joints, dtype=np.float32)
        self._target: np.ndarray | None = None
        self._open = False
        self._limiter = anyio.CapacityLimiter(1)

    @property
    def observation_features(self) -> Features:
        return {"observation.state": vector_feature(joint_names(self.config.joints))}

    @property
    def action_features(self) -> Features:
        return {"action": vector_feature(joint_names(self.config.joints))}

    async def open(self) -> None:
        self._open = True

    async def read(self) -> Values:
        return await anyio.to_thread.run_sync(self._read, limiter=self._limiter)

    def _read(self) -> Values:
        if not self._open:
            raise RobotError(self.name, "read before open()", id=self.id)
        if self.config.fail_at is not None and self.reads >= self.config.fail_at:
            raise RobotError(self.name, f"synthetic failure at read {self.reads} (fail_at={self.config.fail_at})",
                             id=self.id)
        if self._target is not None:  # the motion commanded by the last action, one tick later
            gain = self.config.gain
            step = np.float32(gain) * (self._target - self._state)
            self._state = self._target.copy() if gain == 1 else self._state + step
        self.reads += 1
        return {"observation.state": self._state.copy()}

    async def send(self, action: Values) -> None:
        self._target = np.asarray(action["action"], dtype=np.float32).copy()

    async def close(self) -> None:
        self._open = False


class SyntheticTeleop(Teleop):
    name = "synthetic"

    def __init__(self, config: SyntheticTeleopConfig):
        self.config = config
        self.id = config.id
        self.actions = 0
        self._limiter = anyio.CapacityLimiter(1)

    @property
    def action_features(self) -> Features:
        return {"action": vector_feature(joint_names(self.config.joints))}

    async def open(self) -> None:
        pass

    async def get_action(self) -> Values:
        return await anyio.to_thread.run_sync(self._action, limiter=self._limiter)

    def _action(self) -> Values:
        n, cfg = self.actions, self.config
        if cfg.fail_at is not None and n >= cfg.fail_at:
            raise RobotError(self.name, f"synthetic failure at action {n} (fail_at={cfg.fail_at})", kind="teleop",
                             id=self.id)
        self.actions += 1
        return {"action": synthetic_action(n, cfg.joints, cfg.period_ticks)}

    async def close(self) -> None:
        pass


@hookimpl
def lerec_robot_types() -> list[RobotType]:
    return [RobotType("synthetic", SyntheticRobotConfig, SyntheticRobot,
                      description="joints that follow the last action, no hardware needed")]


@hookimpl
def lerec_teleop_types() -> list[TeleopType]:
    return [TeleopType("synthetic", SyntheticTeleopConfig, SyntheticTeleop,
                       description="deterministic sine actions, no hardware needed")]
