"""A recording from Python prints nothing on stderr: SVT-AV1's and x265's banners stay off unless asked for."""

import json
import os
import subprocess
import sys

from lerec.cli import main

RECORD = """
import logging
import sys
import anyio
import numpy as np
from lerec import Recorder, RGBEncoderConfig, SyntheticCameraConfig

async def record():
    cameras = {"front": SyntheticCameraConfig(width=64, height=48, fps=30),
               "wrist": SyntheticCameraConfig(width=64, height=48, fps=30, depth=True)}
    features = {"observation.state": {"dtype": "float32", "shape": [2]}}
    async with Recorder.create(root=sys.argv[1], fps=30, cameras=cameras, features=features,
                               rgb_encoder=RGBEncoderConfig(vcodec="libsvtav1")) as rec:
        await rec.record_episode("t", num_frames=5, step=lambda: {"observation.state": np.zeros(2, np.float32)})

logging.basicConfig(format="logged by %(name)s: %(message)s")  # lerec's own lines, told apart from codecs' prints
anyio.run(record)
"""


def record_in_child(root, **env):
    environ = {k: v for k, v in os.environ.items() if k != "SVT_LOG"}
    return subprocess.run([sys.executable, "-c", RECORD, str(root)], capture_output=True, text=True, timeout=300,
                          env={**environ, **env})


def test_a_python_recording_with_svtav1_and_depth_prints_nothing(tmp_path, capsys):
    proc = record_in_child(tmp_path / "ds")
    assert proc.returncode == 0, proc.stderr
    # No codec prints anything. lerec's own warnings may appear: on PyAV 15 (its FFmpeg cannot put FFV1 in MP4:
    # depth is recorded as HEVC at once), and on a loaded machine (frames older than 2 periods at some ticks).
    assert [line for line in proc.stderr.splitlines() if not line.startswith("logged by lerec.")] == []
    assert proc.stdout == ""
    # SVT-AV1 runs preset 12 as 11: lerec info says which preset really ran.
    assert main(["info", str(tmp_path / "ds"), "--json"]) == 0
    front = json.loads(capsys.readouterr().out)["streams"]["observation.images.front"]["encoder"]
    used = front["preset_used"]  # 11 with the SVT-AV1 of PyAV 18, 10 with PyAV 15's
    assert front["preset"] == 12 and isinstance(used, int) and 0 <= used < 12
    assert main(["info", str(tmp_path / "ds")]) == 0
    assert f"preset=12 (this SVT-AV1 runs it as preset {used}, the fastest it has; nothing to change)" in \
        capsys.readouterr().out


def test_svt_log_set_by_the_user_is_kept(tmp_path):
    proc = record_in_child(tmp_path / "ds", SVT_LOG="3")
    assert proc.returncode == 0, proc.stderr
    assert "SVT [config]" in proc.stderr
