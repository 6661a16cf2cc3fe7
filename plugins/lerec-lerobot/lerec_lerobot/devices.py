"""A LeRobot ``Robot`` / ``Teleoperator`` as a lerec :class:`~lerec.robots.Robot` / :class:`~lerec.robots.Teleop`.

Every LeRobot call (``connect``, ``get_observation``, ``send_action``, ``get_action``, ``disconnect``) blocks on
serial or network I/O: each runs on a worker thread, one at a time per device (LeRobot devices are not
thread-safe).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from lerec.errors import RobotError
from lerec.robots import Robot, Teleop
from lerec.robots.base import Features, Values
from lerobot.robots import RobotConfig, make_robot_from_config
from lerobot.teleoperators import TeleoperatorConfig, make_teleoperator_from_config

from lerec_lerobot.features import dataset_features, to_floats, to_vectors


class _Device:
    """What a lerec robot and teleop share: a LeRobot device, its worker thread and its errors."""

    kind = "robot"

    def _attach(self, device: Any) -> None:
        self.device = device
        self.name = device.name
        self.id = device.id
        self._limiter = anyio.CapacityLimiter(1)

    async def _call(self, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)
        except Exception as exc:
            raise RobotError(self.name, f"{what}: {type(exc).__name__}: {exc}", kind=self.kind, id=self.id) from exc

    def _vectors(self, what: str, features: Features, values: Any) -> Values:
        try:
            return to_vectors(features, values)
        except (KeyError, TypeError, ValueError) as exc:
            raise RobotError(self.name, f"{what}: {exc}", kind=self.kind, id=self.id) from exc

    async def open(self) -> None:
        # calibrate=True as lerobot-record: an uncalibrated arm asks on the terminal (run lerobot-calibrate first).
        await self._call("connect", self.device.connect)

    async def close(self) -> None:
        await self._call("disconnect", self._disconnect)

    def _disconnect(self) -> None:
        if self.device.is_connected:  # LeRobot raises on a second disconnect; ours is safe twice
            self.device.disconnect()


class LeRobotRobot(_Device, Robot):
    """A LeRobot robot built by ``make_robot_from_config(config)``; its cameras must be lerec cameras."""

    def __init__(self, config: RobotConfig):
        if getattr(config, "cameras", None):
            raise RobotError(config.type, f"LeRobot cameras {', '.join(config.cameras)} given in the robot's "
                             "config: give them to lerec instead (--cameras; see lerec-lerobot's README)", id=config.id)
        self._attach(make_robot_from_config(config))
        self._observation = dataset_features(self.device.observation_features, "observation")
        self._action = dataset_features(self.device.action_features, "action")

    @property
    def observation_features(self) -> Features:
        return self._observation

    @property
    def action_features(self) -> Features:
        return self._action

    async def read(self) -> Values:
        observation = await self._call("get_observation", self.device.get_observation)
        return self._vectors("get_observation", self._observation, observation)

    async def send(self, action: Values) -> None:
        # LeRobot may clip what it sends (max_relative_target); the dataset keeps the action given, as lerobot-record.
        await self._call("send_action", self.device.send_action, to_floats(self._action, action))


class LeRobotTeleop(_Device, Teleop):
    """A LeRobot teleoperator built by ``make_teleoperator_from_config(config)``."""

    kind = "teleop"

    def __init__(self, config: TeleoperatorConfig):
        self._attach(make_teleoperator_from_config(config))
        self._action = dataset_features(self.device.action_features, "action")

    @property
    def action_features(self) -> Features:
        return self._action

    async def get_action(self) -> Values:
        action = await self._call("get_action", self.device.get_action)
        return self._vectors("get_action", self._action, action)

    async def follow(self, action: Values) -> bool:
        """An actuated leader (LeRobot's ``feedback_features``, e.g. SO-101) glides to the follower's last action,
        then its torque is released for the human, as lerobot-rollout's dagger hands over."""
        from lerobot.common.control_utils import teleop_smooth_move_to, teleop_supports_feedback

        if not teleop_supports_feedback(self.device):
            return False

        def glide() -> None:
            teleop_smooth_move_to(self.device, to_floats(self._action, action))
            self.device.disable_torque()

        await self._call("follow", glide)
        return True
