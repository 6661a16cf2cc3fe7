"""An episode's recorded actions sent back to a robot at the dataset's fps (LeRobot's ``lerobot-replay``).

The robot must take the very action features the dataset recorded (dtype, shape, element names): anything else
is refused before the robot opens. A robot error or a cancel (Ctrl-C) stops the sending at once; the robot is
closed without another action, resting where the last one took it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import numpy as np

from lerec.dataset.reading.reader import DatasetReader
from lerec.errors import SettingsError
from lerec.recording.clock import sleep_until, tick_offset_ns
from lerec.recording.robot_loop import _device_call, _plain, opened
from lerec.robots import registry as robot_registry
from lerec.robots.base import Robot, describe


def episode_actions(root: str | Path, episode: int, robot: Robot) -> tuple[int, dict[str, np.ndarray]]:
    """The dataset's fps and episode ``episode``'s action columns, checked against ``robot``'s action features."""
    reader = DatasetReader(root)
    if not 0 <= episode < reader.num_episodes:
        raise SettingsError(f"--episode={episode}: the dataset has episodes 0 to {reader.num_episodes - 1}")
    ours = _plain(robot.action_features)
    theirs = _plain({key: reader.features[key] for key in ours if key in reader.features})
    if ours != theirs:
        raise SettingsError(f"{describe(robot)} takes actions {ours}; the dataset recorded {theirs or 'none of them'}")
    rows = reader.rows(episode)
    return reader.fps, {key: np.asarray(rows[key], dtype=robot.action_features[key]["dtype"]) for key in ours}


async def replay(root: str | Path, episode: int, robot: Any, on_tick: Callable[[int, int], None] | None = None) -> int:
    """Send episode ``episode``'s actions to ``robot`` (a config or a Robot), one per tick; returns how many."""
    robot = robot_registry.create("robot", robot)
    fps, actions = await anyio.to_thread.run_sync(episode_actions, root, episode, robot)
    length = len(next(iter(actions.values())))
    sent = 0
    async with opened(robot):
        t0 = time.monotonic_ns()
        for k in range(length):
            await sleep_until(t0 + tick_offset_ns(k, fps))
            action = {key: column[k] for key, column in actions.items()}
            await _device_call(robot, "send", lambda: robot.send(action))
            sent += 1
            if on_tick is not None:
                on_tick(sent, length)
    return sent
