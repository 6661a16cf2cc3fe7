"""Recording depth with FFV1, converting the dataset to lossless HEVC, and reading it back (lerec and LeRobot)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import anyio
import numpy as np
import pytest

from lerec import Recorder, RGBEncoderConfig, SyntheticCameraConfig
from lerec.cameras.synthetic import synthetic_depth
from lerec.cli import main as lerec_main
from lerec.dataset.reading.validate import validate
from lerec.dataset.store.metadata import DatasetMeta
from lerec.dataset.writing.depth_conversion import (
    JOURNAL_PATH,
    convert_dataset_depth,
    finish_pending_conversion,
    pending_depth_videos,
)
from lerec.encoding.av_compat import mp4_takes
from lerec.encoding.config import DepthEncoderConfig
from lerec.encoding.depth import dequantize_depth, quantize_depth
from lerec.encoding.depth_transcode import iter_depth_codes, transcode_depth_video

DEPTH = "observation.images.front_depth"
FFV1_DEPTH = DepthEncoderConfig(vcodec="ffv1", extra_options={}, crf=None, g=1)
LEROBOT_PYTHON = Path(os.environ.get("LEROBOT_PYTHON", "/opt/lerobot-venv/bin/python"))
# av 15's FFmpeg 7.1 cannot put FFV1 in MP4 (lerec then records depth as HEVC directly: tests/test_av_compat.py).
pytestmark = pytest.mark.skipif(not mp4_takes("ffv1"), reason="this FFmpeg cannot put FFV1 in MP4")


async def record_depth(root: Path, unit: str = "mm", episodes=(12, 9), depth=FFV1_DEPTH, **options) -> None:
    camera = SyntheticCameraConfig(width=64, height=48, depth=True, depth_unit=unit)
    rgb = RGBEncoderConfig(vcodec="h264", preset="ultrafast")
    async with Recorder.create(root, 30, {"front": camera}, rgb_encoder=rgb, depth_encoder=depth, **options) as rec:
        for length in episodes:
            await rec.record_episode("look", num_frames=length)


def episode_codes(root: Path) -> list[list[np.ndarray]]:
    meta = DatasetMeta.load(root)
    out = []
    for row in meta.episodes:
        path = root / meta.info["video_path"].format(video_key=DEPTH, chunk_index=row[f"videos/{DEPTH}/chunk_index"],
                                                     file_index=row[f"videos/{DEPTH}/file_index"])
        first = round(row[f"videos/{DEPTH}/from_timestamp"] * 30)
        last = round(row[f"videos/{DEPTH}/to_timestamp"] * 30)
        out.append(list(iter_depth_codes(path))[first:last])
    return out


def depth_info(root: Path) -> dict:
    return json.loads((root / "meta/info.json").read_text())["features"][DEPTH]["info"]


def assert_codes_equal(expected, got) -> None:
    assert [len(e) for e in got] == [len(e) for e in expected]
    for want, have in zip(expected, got, strict=True):
        assert all(np.array_equal(a, b) for a, b in zip(want, have, strict=True))


def expected_codes(root: Path, unit: str) -> list[list[np.ndarray]]:
    meta = DatasetMeta.load(root)
    return [[quantize_depth(synthetic_depth(seq, 64, 48, unit), DepthEncoderConfig())
             for seq in row[f"lerec/{DEPTH}/camera_seq"]] for row in meta.episodes]


@pytest.mark.parametrize("unit", ["mm", "m"])
async def test_recorded_depth_codes_survive_recording_and_conversion(tmp_path, unit):
    root = tmp_path / "ds"
    await record_depth(root, unit)
    expected = expected_codes(root, unit)
    recorded = episode_codes(root)
    assert [len(e) for e in recorded] == [12, 9]
    for want, got in zip(expected, recorded, strict=True):
        assert all(np.array_equal(a, b) for a, b in zip(want, got, strict=True))
    info = json.loads((root / "meta/info.json").read_text())["features"][DEPTH]["info"]
    assert info["video.codec"] == "ffv1" and info["is_depth_map"] and info["depth_unit"] == unit

    assert lerec_main(["convert-depth", str(root)]) == 0
    converted = episode_codes(root)
    for want, got in zip(expected, converted, strict=True):
        assert all(np.array_equal(a, b) for a, b in zip(want, got, strict=True))
    info = json.loads((root / "meta/info.json").read_text())["features"][DEPTH]["info"]
    assert info["video.codec"] == "hevc" and info["video.pix_fmt"] == "gray12le"
    assert info["video.extra_options"] == {"x265-params": "lossless=1"} and info["video.preset"] == "ultrafast"
    assert info["video.depth_min"] == 0.01 and info["video.use_log"] is True
    assert not pending_depth_videos(root)
    leftovers = [p for p in root.rglob("*") if p.name.endswith((".converted", ".partial")) or "transcode" in p.name]
    assert not leftovers and not (root / JOURNAL_PATH).exists()
    assert validate(root) == []  # the converted files' checksums replaced the originals'
    no_data = converted[0][0] == 0
    assert no_data.any() and (dequantize_depth(converted[0][0], DepthEncoderConfig())[no_data] == 0).all()


async def test_default_depth_is_captured_with_ffv1_and_ends_as_hevc_also_when_resumed(tmp_path):
    root = tmp_path / "ds"
    await record_depth(root, episodes=(8,), depth=None)
    assert depth_info(root)["video.codec"] == "hevc" and not pending_depth_videos(root)
    assert not (root / ".lerec").exists()
    await record_depth(root, episodes=(6,), depth=None, resume=True)
    info = depth_info(root)
    assert info["video.codec"] == "hevc" and info["video.preset"] == "ultrafast" and not pending_depth_videos(root)
    assert_codes_equal(expected_codes(root, "mm"), episode_codes(root))


async def test_convert_depth_false_leaves_ffv1_for_the_command(tmp_path):
    root = tmp_path / "ds"
    await record_depth(root, episodes=(5,), depth=None, convert_depth=False)
    assert depth_info(root)["video.codec"] == "ffv1"
    assert [v.codec for v in pending_depth_videos(root)] == ["ffv1"]
    assert lerec_main(["convert-depth", str(root), "--dry-run"]) == 0
    assert lerec_main(["convert-depth", str(root)]) == 0
    assert depth_info(root)["video.codec"] == "hevc"
    assert_codes_equal(expected_codes(root, "mm"), episode_codes(root))


async def test_an_interrupted_conversion_leaves_the_dataset_as_it_was(tmp_path):
    root = tmp_path / "ds"
    await record_depth(root, episodes=(10,))
    before = (root / "meta/info.json").read_text()
    with pytest.raises(KeyboardInterrupt):

        def stop(done, total, path):
            if done == 5:
                raise KeyboardInterrupt

        convert_dataset_depth(root, DepthEncoderConfig(preset="ultrafast"), progress=stop)
    assert (root / "meta/info.json").read_text() == before
    assert [v.codec for v in pending_depth_videos(root)] == ["ffv1"]
    assert sorted(p.name for p in (root / f"videos/{DEPTH}/chunk-000").iterdir()) == ["file-000.mp4"]


async def test_a_conversion_committed_by_its_journal_is_rolled_forward(tmp_path):
    root = tmp_path / "ds"
    await record_depth(root, episodes=(6,))
    (video,) = pending_depth_videos(root)
    transcode_depth_video(video.path, video.converted_path, DepthEncoderConfig(preset="ultrafast"))
    (root / JOURNAL_PATH).parent.mkdir(parents=True, exist_ok=True)
    (root / JOURNAL_PATH).write_text(json.dumps({
        "replace": [[str(video.converted_path.relative_to(root)), str(video.path.relative_to(root))]],
        "features": {DEPTH: {"video.codec": "hevc", "video.pix_fmt": "gray12le"}},
    }))
    assert finish_pending_conversion(root)
    assert not pending_depth_videos(root) and not video.converted_path.exists()
    assert json.loads((root / "meta/info.json").read_text())["features"][DEPTH]["info"]["video.codec"] == "hevc"
    assert validate(root) == []
    assert not finish_pending_conversion(root)


LEROBOT_READ = """
import sys, json, numpy as np
from lerobot.datasets.lerobot_dataset import LeRobotDataset
ds = LeRobotDataset("local/depth", root=sys.argv[1])
key = sys.argv[2]
out = {"len": len(ds), "frames": []}
for i in (0, len(ds) - 1):
    out["frames"].append(np.asarray(ds[i][key]).astype(float).round().tolist())
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.skipif(not LEROBOT_PYTHON.exists(), reason="LeRobot 0.6.1 venv not installed")
async def test_lerobot_reads_the_converted_depth_in_millimetres(tmp_path):
    root = tmp_path / "ds"
    await record_depth(root, episodes=(5, 4))
    assert lerec_main(["convert-depth", str(root)]) == 0
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with anyio.fail_after(300):
        result = await anyio.run_process([str(LEROBOT_PYTHON), "-c", LEROBOT_READ, str(root), DEPTH], env=env,
                                         check=False)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    read = json.loads(result.stdout.decode().strip().splitlines()[-1])
    assert read["len"] == 9
    codes = episode_codes(root)
    for theirs, ours in zip(read["frames"], (codes[0][0], codes[1][-1]), strict=True):
        theirs = np.asarray(theirs)[0]
        mine = dequantize_depth(ours, DepthEncoderConfig()).astype(float)
        hole = ours == 0
        assert (theirs[hole] == 10).all()  # LeRobot reads no data as depth_min
        assert np.abs(theirs[~hole] - mine[~hole]).max() <= 1
