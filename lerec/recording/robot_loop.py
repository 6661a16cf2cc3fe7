"""Where each tick's row comes from: the user's ``step``, or a robot with its teleoperator (or a policy).

A row source is asked once per tick, after the cameras are sampled. What it raises ends the episode: the recorder
discards it and raises that error once the episode's tasks are stopped; the saved episodes stay intact.
"""

from __future__ import annotations

import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import anyio
import numpy as np

from lerec.errors import RobotError, SettingsError
from lerec.recording.clock import sleep_until, tick_offset_ns
from lerec.recording.row_check import RowCheck
from lerec.robots.base import Robot, Teleop, Values, describe

Step = Callable[..., Mapping[str, Any] | Awaitable[Mapping[str, Any]]]


async def _call(step: Step, *args) -> Any:
    values = step(*args)
    return await values if inspect.isawaitable(values) else values


async def _device_call(device: Robot | Teleop, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
    """A device call whose errors name the device (a plugin's own RobotError passes as it is)."""
    try:
        return await call()
    except RobotError:
        raise
    except Exception as exc:
        kind = "robot" if isinstance(device, Robot) else "teleop"
        raise RobotError(device.name, f"{what}: {type(exc).__name__}: {exc}", kind=kind, id=device.id) from exc


class StepRows:
    """Rows from the user's ``step()``, checked against the features at every tick."""

    def __init__(self, step: Step | None, check: RowCheck):
        self.step = step
        self.check = check

    @property
    def features(self) -> dict[str, dict[str, Any]]:
        return self.check.features

    async def row(self, tick: int) -> dict[str, np.ndarray]:
        return {} if self.step is None else self.check(await _call(self.step), tick)


class RobotRows:
    """LeRobot's record loop, one tick at a time: read the observation, get the action (from the teleop, or
    ``policy(observation)``), send it to the robot, and give the row that holds both."""

    def __init__(self, robot: Robot, teleop: Teleop | None, policy: Step | None):
        self.robot = robot
        self.teleop = teleop
        self.policy = policy
        self.observe = RowCheck(robot.observation_features, describe(robot) + " observation")
        action_source = describe(teleop) if teleop is not None else "step"
        self.act = RowCheck(robot.action_features, action_source + " action")

    @property
    def features(self) -> dict[str, dict[str, Any]]:
        return {**self.observe.features, **self.act.features}

    async def row(self, tick: int) -> dict[str, np.ndarray]:
        observation = self.observe(await _device_call(self.robot, "read", self.robot.read), tick)
        action = self.act(await self._action(observation), tick)
        await _device_call(self.robot, "send", lambda: self.robot.send(action))
        return {**observation, **action}

    async def _action(self, observation: Values) -> Any:
        if self.teleop is not None:
            return await _device_call(self.teleop, "get_action", self.teleop.get_action)
        return await _call(self.policy, observation)


def check_devices(robot: Robot | None, teleop: Teleop | None) -> None:
    """Refuse a teleop whose actions are not the robot's, naming both."""
    if teleop is None:
        return
    if robot is None:
        raise SettingsError(f"{describe(teleop)} needs a robot to drive (pass robot=...)")
    theirs, ours = dict(teleop.action_features), dict(robot.action_features)
    if _plain(theirs) != _plain(ours):
        raise SettingsError(f"{describe(teleop)} gives actions {_plain(theirs)}; "
                            f"{describe(robot)} takes {_plain(ours)}")


def _plain(features: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {key: (str(f["dtype"]), list(f["shape"]), list(f.get("names") or [])) for key, f in features.items()}


@contextlib.asynccontextmanager
async def opened(*devices: Robot | Teleop | None) -> AsyncIterator[None]:
    """Open the devices in order; close every one that was tried, in reverse, even when cancelled."""
    async with contextlib.AsyncExitStack() as stack:
        for device in devices:
            if device is None:
                continue
            stack.push_async_callback(_close, device)
            await _device_call(device, "open", device.open)
        yield


async def _close(device: Robot | Teleop) -> None:
    with anyio.CancelScope(shield=True):
        await _device_call(device, "close", device.close)


async def drive(robot: Robot | None, teleop: Teleop | None, fps: int, length: int, ended: Callable[[], bool],
                on_tick: Callable[[int], None]) -> None:
    """Run the teleop -> robot loop for ``length`` ticks without recording (the reset between episodes), or
    just wait them out when there is no teleop; returns early once ``ended()``. A device error is raised."""
    rows = RobotRows(robot, teleop, None) if robot is not None and teleop is not None else None
    t0_ns = time.monotonic_ns()
    for k in range(length):
        if ended():
            return
        await sleep_until(t0_ns + tick_offset_ns(k, fps))
        if rows is not None:
            await rows.row(k)
        on_tick(k + 1)
