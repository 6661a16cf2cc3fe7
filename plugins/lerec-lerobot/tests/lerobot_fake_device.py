"""A fake SO-101-like arm behind LeRobot's real base classes, registered in LeRobot's real config registry.

``lerec_fake_follower``'s observation of read ``n`` is the last action it was sent plus 100 (-1 before any);
``lerec_fake_leader``'s ``n``-th action is ``action_values(n)``. Both append what they produced or received to
``log_path`` (JSON lines), so a test compares the dataset with what the device really saw. LeRobot's factories
build them (``make_device_from_device_class`` finds ``FakeFollower`` next to ``FakeFollowerConfig``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from lerobot.robots import Robot, RobotConfig
from lerobot.teleoperators import Teleoperator, TeleoperatorConfig

# Not alphabetical, as LeRobot's arms: the dataset's names must keep the device's order.
MOTORS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]


def action_values(n: int) -> dict[str, float]:
    return {f"{m}.pos": round(0.25 * n + 10 * i - 7.5, 2) for i, m in enumerate(MOTORS)}


def _log(path: str | None, record: dict) -> None:
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(record) + "\n")


@RobotConfig.register_subclass("lerec_fake_follower")
@dataclass(kw_only=True)
class FakeFollowerConfig(RobotConfig):
    port: str = "/dev/fake"
    cameras: dict = field(default_factory=dict)  # as LeRobot's arms; the bridge refuses any
    log_path: str | None = None
    fail_at: int | None = None  # get_observation raises at this read


class FakeFollower(Robot):
    config_class = FakeFollowerConfig
    name = "lerec_fake_follower"

    def __init__(self, config: FakeFollowerConfig):
        super().__init__(config)
        self.config = config
        self._connected = False
        self._state = {f"{m}.pos": -1.0 for m in MOTORS}
        self.reads = 0

    @property
    def observation_features(self) -> dict:
        return {f"{m}.pos": float for m in MOTORS}

    @property
    def action_features(self) -> dict:
        return {f"{m}.pos": float for m in MOTORS}

    @property
    def is_connected(self) -> bool:
        return self._connected

    def connect(self, calibrate: bool = True) -> None:
        if self._connected:
            raise RuntimeError("already connected")
        self._connected = True
        _log(self.config.log_path, {"event": "connect", "id": self.id})

    @property
    def is_calibrated(self) -> bool:
        return True

    def calibrate(self) -> None:
        pass

    def configure(self) -> None:
        pass

    def get_observation(self) -> dict:
        if not self._connected:
            raise RuntimeError("not connected")
        if self.config.fail_at is not None and self.reads >= self.config.fail_at:
            raise OSError(f"[Errno 5] fake bus error at read {self.reads}")
        self.reads += 1
        observation = dict(self._state)
        _log(self.config.log_path, {"event": "observation", "values": observation})
        return observation

    def send_action(self, action: dict) -> dict:
        self._state = {key: value + 100 for key, value in action.items()}
        _log(self.config.log_path, {"event": "action", "values": action})
        return action

    def disconnect(self) -> None:
        if not self._connected:
            raise RuntimeError("not connected")  # as LeRobot's devices: lerec must not disconnect twice
        self._connected = False
        _log(self.config.log_path, {"event": "disconnect"})


@TeleoperatorConfig.register_subclass("lerec_fake_leader")
@dataclass(kw_only=True)
class FakeLeaderConfig(TeleoperatorConfig):
    port: str = "/dev/fake-leader"
    log_path: str | None = None


class FakeLeader(Teleoperator):
    config_class = FakeLeaderConfig
    name = "lerec_fake_leader"

    def __init__(self, config: FakeLeaderConfig):
        super().__init__(config)
        self.config = config
        self._connected = False
        self.actions = 0

    @property
    def action_features(self) -> dict:
        return {f"{m}.pos": float for m in MOTORS}

    @property
    def feedback_features(self) -> dict:
        return {}

    @property
    def is_connected(self) -> bool:
        return self._connected

    def connect(self, calibrate: bool = True) -> None:
        self._connected = True

    @property
    def is_calibrated(self) -> bool:
        return True

    def calibrate(self) -> None:
        pass

    def configure(self) -> None:
        pass

    def get_action(self) -> dict:
        action = action_values(self.actions)
        self.actions += 1
        _log(self.config.log_path, {"event": "teleop_action", "values": action})
        return action

    def send_feedback(self, feedback: dict) -> None:
        pass

    def disconnect(self) -> None:
        if not self._connected:
            raise RuntimeError("not connected")
        self._connected = False
