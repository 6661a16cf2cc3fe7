"""The examples of README.md and docs/*.md run as written. A fenced ```python or ```bash block preceded by the line
``<!-- runnable -->`` is run, the blocks of one file in order in one fresh folder (a later block may read what an
earlier one wrote); ``<!-- runnable: needs data/pick_cube -->`` first puts a small recorded dataset there. A
plain fenced block right after a runnable bash block and preceded by ``<!-- output -->`` is what it prints
(stdout and stderr). Examples that need hardware, a cluster or LeRobot stay unmarked."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import anyio
import numpy as np
import pytest

from lerec import Recorder, SyntheticCameraConfig
from lerec.encoding.config import RGBEncoderConfig
from lerec.sensors.synthetic import SyntheticAudioConfig, SyntheticImuConfig

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCK = re.compile(r"^(?:<!-- (?P<mark>[^>]*?) -->\n)?```(?P<lang>[\w-]*)\n(?P<code>.*?)^```\n", re.S | re.M)
MARK = re.compile(r"runnable(?:: needs (?P<needs>[\w/.-]+))?$")
NEEDED = {"data/pick_cube"}  # what ``needs`` may ask for (made by :func:`pick_cube`)


def examples(doc: Path) -> list[dict]:
    """The runnable examples of ``doc``, in order: lang, code, needs and the output shown after it (or None)."""
    blocks = list(BLOCK.finditer(doc.read_text()))
    found = []
    for i, block in enumerate(blocks):
        mark = block["mark"] and MARK.match(block["mark"])
        if not mark:
            continue
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        output = following["code"] if following is not None and following["mark"] == "output" else None
        found.append({"lang": block["lang"], "code": block["code"], "needs": mark["needs"], "output": output})
    return found


EXAMPLES = {doc: examples(doc) for doc in DOCS}


def test_markers_are_on_examples_that_can_run():
    for doc, found in EXAMPLES.items():
        for example in found:
            assert example["lang"] in ("python", "bash"), f"{doc.name}: a runnable ```{example['lang']} block"
            assert example["needs"] in (None, *NEEDED), f"{doc.name}: needs {example['needs']}"
        text = doc.read_text()
        assert text.count("<!-- runnable") == len(found), f"{doc.name}: a runnable mark not on a fenced block"
    assert sum(map(len, EXAMPLES.values())) >= 8


@pytest.fixture(scope="session")
def pick_cube(tmp_path_factory) -> Path:
    """Four episodes of 60 frames: a small front camera, observation.state and action, a 200 Hz IMU ``imu`` and
    16 kHz audio ``mic``."""
    root = tmp_path_factory.mktemp("docs") / "pick_cube"
    features = {"observation.state": {"dtype": "float32", "shape": [6]}, "action": {"dtype": "float32", "shape": [6]}}

    async def step():
        return {"observation.state": np.zeros(6, np.float32), "action": np.ones(6, np.float32)}

    async def go():
        async with Recorder.create(root, 30, {"front": SyntheticCameraConfig(width=64, height=48, fps=30)},
                                   features, rgb_encoder=RGBEncoderConfig(vcodec="h264", preset="ultrafast"),
                                   sensors={"imu": SyntheticImuConfig(hz=200), "mic": SyntheticAudioConfig()}) as rec:
            for _ in range(4):
                await rec.record_episode("pick the cube", num_frames=60, step=step)

    anyio.run(go)
    return root


@pytest.mark.parametrize("doc", [doc for doc, found in EXAMPLES.items() if found], ids=lambda doc: doc.name)
def test_the_runnable_examples_of(doc, tmp_path, pick_cube):
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
           "HF_LEROBOT_HOME": str(tmp_path / "hub")}
    for n, example in enumerate(EXAMPLES[doc]):
        if example["needs"] and not (tmp_path / example["needs"]).exists():
            shutil.copytree(pick_cube, tmp_path / example["needs"])
        if example["lang"] == "python":
            script = tmp_path / f"example_{n}.py"
            script.write_text(example["code"])
            argv = [sys.executable, str(script)]
        else:
            argv = ["bash", "-euo", "pipefail", "-c", example["code"]]
        done = subprocess.run(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=300)
        assert done.returncode == 0, f"{doc.name} example {n}:\n{example['code']}\n---\n{done.stdout}"
        if example["output"] is not None:
            assert done.stdout == example["output"], f"{doc.name} example {n} printed:\n{done.stdout}"
