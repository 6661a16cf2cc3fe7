"""lerec info: the numbers a user checks before training."""

import json

from lerec.cli import main

from dataset_fixtures import DEPTH, FRONT


def test_info_json_counts_frames_and_describes_streams(recorded, capsys):
    assert main(["info", str(recorded), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert (s["episodes"], s["frames"], s["duration_s"], s["tasks"]) == (3, 60, 2.0, {"pick the cube": 3})
    front = s["streams"][FRONT]
    assert (front["codec"], front["pix_fmt"], front["width"], front["height"], front["fps"]) == (
        "h264", "yuv420p", 64, 48, 30)
    size = (recorded / f"videos/{FRONT}/chunk-000/file-000.mp4").stat().st_size
    assert front["bytes"] == size and front["bitrate_kbps"] == round(size * 8 / 1000 / 2.0, 1)
    assert s["streams"][DEPTH]["depth_settings"] == {
        "depth_unit": "mm", "depth_min": 0.01, "depth_max": 10.0, "shift": 3.5, "use_log": True}


def test_info_text(recorded, capsys):
    assert main(["info", str(recorded)]) == 0
    out = capsys.readouterr().out
    assert "3 episodes, 60 frames, 2.0 s at 30 fps" in out
    assert f"{DEPTH}: hevc gray12le 64x48 @ 30 fps" in out
