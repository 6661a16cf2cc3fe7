"""Recorded datasets shared by the tool tests (recorded once per session: sources are never modified)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import anyio
import attrs
import pytest

from lerec.dataset.spec import format as fmt
from lerec.dataset.store.metadata import DatasetMeta
from recording_fixtures import record, small_camera

FRONT = "observation.images.front"
WRIST = "observation.images.wrist"
DEPTH = "observation.images.wrist_depth"


def record_dataset(root: Path, episodes: int, task: str = "pick the cube", depth: bool = True) -> Path:
    cams = {"front": small_camera(), "wrist": small_camera(depth=depth)}

    async def go():
        await record(root, cams, episodes=episodes, num_frames=20)

    anyio.run(go)
    if task != "pick the cube":
        meta = DatasetMeta.load(root)
        meta.tasks = [task]
        meta.episodes = [attrs.evolve(row, tasks=[task]) for row in meta.episodes]
        meta.save_episodes_file(0, 0)
        meta.save_tasks()
        meta.save_info()  # the same totals, the checksums of the files rewritten
    return root


@pytest.fixture(scope="session")
def recorded(tmp_path_factory) -> Path:
    """Three episodes of 20 frames: front (RGB), wrist (RGB + depth)."""
    return record_dataset(tmp_path_factory.mktemp("recorded") / "ds", episodes=3)


@pytest.fixture(scope="session")
def recorded_b(tmp_path_factory) -> Path:
    """Two more episodes, recorded the same way, with another task."""
    return record_dataset(tmp_path_factory.mktemp("recorded_b") / "ds", episodes=2, task="stack the blocks")


@pytest.fixture
def copy_of(tmp_path):
    def make(root: Path) -> Path:
        dst = tmp_path / f"copy-{root.parent.name}"
        shutil.copytree(root, dst)
        return dst

    return make


def drop_checksums(root: Path) -> None:
    """Take lerec's checksums out of info.json, as LeRobot does whenever it rewrites the file."""
    info = json.loads((root / fmt.INFO_PATH).read_text())
    del info[fmt.CHECKSUMS]
    (root / fmt.INFO_PATH).write_text(json.dumps(info, indent=4))
