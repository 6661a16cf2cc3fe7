"""``--resume`` records with the dataset's encoder settings as its info.json says them: a user need not retype the
flags the dataset was recorded with, and a flag given that differs from the dataset is still refused (also one
that gives the default value)."""

from __future__ import annotations

import json

import pytest

from lerec import RGBEncoderConfig
from lerec.dataset.store.metadata import DatasetMeta
from lerec.errors import DatasetError

from recording_fixtures import record, small_camera
from test_cli_record import FAST, SMALL, lerec

FRONT = "observation.images.front"
SETTINGS = ("video.codec", "video.g", "video.crf", "video.preset", "video.extra_options")


def front_info(root) -> dict:
    return json.loads((root / "meta/info.json").read_text())["features"][FRONT]["info"]


def test_resume_takes_the_datasets_encoder_settings_and_refuses_a_flag_that_differs(tmp_path):
    root = tmp_path / "r"
    args = [f"--dataset.root={root}", "--dataset.num_episodes=1", "--dataset.episode_time_s=0.2",
            f"--cameras={SMALL}"]
    first = lerec("record", *args, *FAST, "--dataset.rgb_encoder.crf=20", "--dataset.rgb_encoder.g=4",
                  '--dataset.rgb_encoder.extra_options={"tune": "zerolatency"}')
    assert first.returncode == 0, first.stderr
    recorded = {k: front_info(root)[k] for k in SETTINGS}
    assert recorded == {"video.codec": "h264", "video.g": 4, "video.crf": 20, "video.preset": "ultrafast",
                        "video.extra_options": {"tune": "zerolatency"}}
    # No encoder flag at all: the dataset's h264 (not the default libsvtav1), crf 20, g 4, ...
    again = lerec("record", *args, "--resume")
    assert again.returncode == 0, again.stderr
    # A flag given that agrees with the dataset is fine.
    agreeing = lerec("record", *args, "--resume", "--dataset.rgb_encoder.crf=20")
    assert agreeing.returncode == 0, agreeing.stderr
    assert DatasetMeta.load(root).info["total_episodes"] == 3
    assert {k: front_info(root)[k] for k in SETTINGS} == recorded
    # One that differs is refused, even when it gives the default value.
    refused = lerec("record", *args, "--resume", "--dataset.rgb_encoder.crf=30")
    assert refused.returncode == 2  # a setting at odds with the dataset: a usage error (docs/cli.md)
    assert "video.crf: 20 -> 30" in refused.stderr
    assert DatasetMeta.load(root).info["total_episodes"] == 3


async def test_recorder_resumed_without_encoder_settings_takes_the_datasets(tmp_path):
    root = tmp_path / "ds"
    settings = RGBEncoderConfig(vcodec="h264", preset="ultrafast", crf=24, g=5)
    await record(root, {"front": small_camera()}, rgb_encoder=settings)
    await record(root, {"front": small_camera()}, rgb_encoder=None, resume=True)
    assert DatasetMeta.load(root).info["total_episodes"] == 2
    assert front_info(root)["video.crf"] == 24 and front_info(root)["video.g"] == 5
    with pytest.raises(DatasetError, match=r"video\.crf: 24 -> 30"):
        await record(root, {"front": small_camera()}, rgb_encoder=RGBEncoderConfig(vcodec="h264", preset="ultrafast",
                                                                                 g=5), resume=True)
