"""One tick of a policy on the robot: read the robot, give the policy the observation and the cameras' newest
frames, send its action (or, during a human correction, the teleop's), and give the row to record.

:class:`RolloutControls` is the events API of human corrections (keys, pedals, GUIs call it from any task or
thread; the clock reads it at its next tick): ``pause`` stops sending actions (the robot holds where it is),
``take_over`` hands the robot to the teleop, ``hand_back`` gives it back to the policy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lerec.recording.inference import Inference
from lerec.recording.robot_loop import _device_call
from lerec.recording.row_check import RowCheck
from lerec.robots.base import Robot, Teleop, describe

INTERVENTION = "intervention"  # bool, shape (1,): the teleop gave this row's action (LeRobot's dagger feature)
POLICY_ACTION = "policy_action"  # what the policy proposed at this tick, sent or not


def dagger_features(action_feature: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The features a dagger rollout records besides the robot's."""
    return {POLICY_ACTION: dict(action_feature), INTERVENTION: {"dtype": "bool", "shape": [1], "names": None}}


class RolloutControls:
    """Who drives the robot: the policy, nobody (paused), or the human with the teleop."""

    def __init__(self) -> None:
        self.paused = False
        self.human = False

    def pause(self) -> None:
        """Stop sending actions; the policy keeps proposing them (recorded as ``policy_action``)."""
        self.paused = True

    def resume(self) -> None:
        """The policy drives again."""
        self.paused = self.human = False

    def take_over(self) -> None:
        """The teleop drives; its actions are recorded with ``intervention`` true."""
        self.human, self.paused = True, False

    def hand_back(self) -> None:
        """The policy drives again after a correction."""
        self.resume()

    def toggle_pause(self) -> None:
        self.resume() if self.paused else self.pause()

    def toggle_correction(self) -> None:
        self.hand_back() if self.human else self.take_over()

    @property
    def driver(self) -> str:
        return "human" if self.human else ("paused" if self.paused else "policy")


class PolicyRows:
    """The ``step()`` of a rollout episode (:meth:`lerec.recording.Recorder.record_episode`): one row per tick.

    ``frames()`` gives the cameras' newest frames by feature name (the frames this tick recorded). The action is
    checked by the inference before anything is sent; an error ends the episode with nothing more sent."""

    def __init__(self, robot: Robot, inference: Inference, frames: Callable[[], Mapping[str, np.ndarray]], *,
                 teleop: Teleop | None = None, controls: RolloutControls | None = None, dagger: bool = False):
        self.robot = robot
        self.teleop = teleop
        self.inference = inference
        self.frames = frames
        self.controls = controls or RolloutControls()
        self.dagger = dagger
        self.observe = RowCheck(robot.observation_features, describe(robot) + " observation")
        self.action_key = inference.fmap.action_key
        self.teleop_check = RowCheck(robot.action_features, describe(teleop) + " action") if teleop else None
        self.tick = 0
        self.last_sent: np.ndarray | None = None
        self.interventions = 0
        self._was_human = False
        self._first: dict[str, np.ndarray] | None = None  # read before the clock started (first_observation)

    def start_episode(self) -> None:
        self.tick, self.interventions, self._was_human = 0, 0, False

    async def observation(self) -> dict[str, np.ndarray]:
        return self.observe(await _device_call(self.robot, "read", self.robot.read), self.tick)

    async def __call__(self) -> dict[str, np.ndarray]:
        k, self.tick = self.tick, self.tick + 1
        observation, self._first = self._first if self._first is not None else await self.observation(), None
        proposed = await self.inference.action({**observation, **self.frames()})
        driver = self.controls.driver if self.dagger else "policy"
        if driver == "human":
            if not self._was_human and self.last_sent is not None:  # a motorised leader meets the follower first
                await _device_call(self.teleop, "follow", lambda: self.teleop.follow({self.action_key: self.last_sent}))
            values = await _device_call(self.teleop, "get_action", self.teleop.get_action)
            action = self.teleop_check(values, k)[self.action_key]
            self.interventions += 1
        elif driver == "paused":  # nothing is sent: the row holds the last action sent (or the unsent proposal)
            action = self.last_sent if self.last_sent is not None else proposed
        else:
            action = proposed
        self._was_human = driver == "human"
        if driver != "paused":
            await _device_call(self.robot, "send", lambda: self.robot.send({self.action_key: action}))
            self.last_sent = action
        row = {**observation, self.action_key: action}
        if self.dagger:
            row[POLICY_ACTION] = proposed
            row[INTERVENTION] = np.array([driver == "human"])
        return row

    async def first_observation(self) -> dict[str, np.ndarray]:
        """Read the observation of tick 0 (before the clock starts: the async inference predicts from it)."""
        self._first = await self.observation()
        return {**self._first, **self.frames()}

