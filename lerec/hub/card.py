"""The dataset card (``README.md``) a push publishes: the metadata LeRobot's card carries (its ``LeRobot`` tag and
the user's, ``robotics``, the parquet files as the default config, the license) and the dataset's info.json. The
same dataset always gives the same card, so pushing twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml

from lerec.dataset.spec.format import CARD_DATA_FILES

LEROBOT_TAG = "LeRobot"
DEFAULT_LICENSE = "apache-2.0"


def card_tags(tags: Sequence[str]) -> list[str]:
    """LeRobot's tag first, then the user's in their order, each once."""
    return list(dict.fromkeys([LEROBOT_TAG, *tags]))


def dataset_card(repo_id: str, info: dict[str, Any], tags: Sequence[str] = (),
                 license: str = DEFAULT_LICENSE) -> str:
    header = {
        "license": license,
        "task_categories": ["robotics"],
        "tags": card_tags(tags),
        "configs": [{"config_name": "default", "data_files": CARD_DATA_FILES}],
    }
    episodes, frames, fps = info.get("total_episodes"), info.get("total_frames"), info.get("fps")
    robot = info.get("robot_type") or "unspecified"
    return (
        f"---\n{yaml.safe_dump(header, sort_keys=False)}---\n\n"
        f"# {repo_id}\n\n"
        f"A [LeRobot](https://github.com/huggingface/lerobot) dataset in format {info.get('codebase_version')}: "
        f"{episodes} episodes, {frames} frames at {fps} fps, robot type {robot}. Recorded and published with "
        "lerec; it loads with `LeRobotDataset(repo_id)`.\n\n"
        "## Dataset structure\n\n"
        f"[meta/info.json](meta/info.json):\n\n```json\n{json.dumps(info, indent=4)}\n```\n"
    )
