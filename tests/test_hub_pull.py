"""A Hub dataset ORG/NAME read as LeRobot reads it: `lerec info`, `lerec validate` and `DatasetReader` download it
(or find it with HF_HUB_OFFLINE=1), and a local folder of that name always wins."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub_fixtures import hub, hub_env, lerec, published  # noqa: F401

REPO = "lerec-org/pick"

READ = """
import sys
import numpy as np
from lerec import DatasetReader
with DatasetReader(sys.argv[1]) as remote, DatasetReader(sys.argv[2]) as local:
    assert remote.num_episodes == local.num_episodes == 3
    for e in range(3):
        a, b = remote.rows(e), local.rows(e)
        assert all(np.array_equal(a[k], b[k]) for k in b)
    for key, frame in local.frame(2, 5).items():
        assert np.array_equal(remote.frame(2, 5)[key], frame)
    print(remote.root)
"""


def test_info_validate_and_reader_download_a_hub_dataset(recorded, copy_of, hub, hub_env, tmp_path):
    root = copy_of(recorded)
    assert lerec(["push", root, "--repo-id", REPO], hub_env).returncode == 0
    info = lerec(["info", REPO], hub_env)
    assert info.returncode == 0, info.stderr
    assert "3 episodes, 60 frames" in info.stdout
    valid = lerec(["validate", REPO], hub_env)
    assert valid.returncode == 0 and f"{REPO}: OK" in valid.stdout, valid.stderr
    read = lerec_python(READ, [REPO, root], hub_env)
    assert read.returncode == 0, read.stderr
    downloaded = tmp_path / "lerobot-home/downloads" / REPO / "v3.0"
    assert read.stdout.strip() == str(downloaded)
    assert {p: b for p, b in published(downloaded).items() if p != "README.md"} == published(root)

    offline = dict(hub_env, HF_HUB_OFFLINE="1")
    requests = len(hub.state.commits), dict(hub.state.repos[REPO]["branches"])
    assert lerec(["validate", REPO], offline).returncode == 0  # from what was downloaded
    assert requests == (len(hub.state.commits), hub.state.repos[REPO]["branches"])
    elsewhere = dict(offline, HF_LEROBOT_HOME=str(tmp_path / "empty-home"))
    missing = lerec(["info", REPO], elsewhere)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines()[-1] == (f"lerec info: error: {REPO}: not in the local cache, and "
                                                       "HF_HUB_OFFLINE=1 forbids downloading it")


def test_a_revision_the_repo_lacks_is_one_line(recorded, copy_of, hub, hub_env):
    assert lerec(["push", copy_of(recorded), "--repo-id", REPO], hub_env).returncode == 0
    done = lerec(["info", REPO, "--revision", "v9.9"], hub_env)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == f"lerec info: error: {REPO}: no revision 'v9.9' on the Hub"


def test_a_local_folder_named_like_the_repo_wins(recorded, hub, hub_env, tmp_path):
    shutil.copytree(recorded, tmp_path / REPO)
    done = lerec(["info", REPO, "--json"], hub_env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert '"episodes": 3' in done.stdout and REPO not in hub.state.repos  # the Hub was not asked


def lerec_python(code: str, args: list, env: dict):
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


LEROBOT_PYTHON = Path(os.environ.get("LEROBOT_PYTHON", "/opt/lerobot-venv/bin/python"))
LEROBOT_LOAD = """
import sys
from lerobot.datasets.lerobot_dataset import LeRobotDataset
ds = LeRobotDataset(sys.argv[1])  # from the Hub: the v3.0 tag, downloaded into LeRobot's cache
print(ds.meta.total_episodes, len(ds), ds.revision)
"""


@pytest.mark.slow
@pytest.mark.skipif(not LEROBOT_PYTHON.exists(), reason="LeRobot 0.6.1 venv not installed")
def test_lerobot_loads_what_lerec_pushed(recorded, copy_of, hub, hub_env):
    assert lerec(["push", copy_of(recorded), "--repo-id", REPO], hub_env).returncode == 0
    done = subprocess.run([str(LEROBOT_PYTHON), "-c", LEROBOT_LOAD, REPO], env=hub_env, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-3:] == ["3", "60", "v3.0"]
