"""lerec view: an episode saved to a rerun recording (rerun-sdk is an optional extra; skipped without it)."""

import io
import re
import subprocess
import sys
from pathlib import Path

import av
import pytest

from lerec.cameras.synthetic import read_frame_index
from lerec.cli import main
from lerec.cli.view import episode_mp4
from lerec.dataset.reading.reader import DatasetReader

from dataset_fixtures import DEPTH, FRONT

RERUN = Path(sys.executable).parent / "rerun"


def rrd_rows(path: Path) -> dict[str, int]:
    """Rows per ``entity@Archetype`` in a .rrd file, as ``rerun rrd print -v`` lists its chunks."""
    out = subprocess.run([str(RERUN), "rrd", "print", "-v", str(path)], capture_output=True, text=True,
                         check=True).stdout
    rows: dict[str, int] = {}
    for n, entity, archetype in re.findall(r"with (\d+) rows .* - /(\S+) - data columns: \[/\S+@(\w+):", out):
        rows[f"{entity}@{archetype}"] = rows.get(f"{entity}@{archetype}", 0) + int(n)
    return rows


def test_view_saves_an_rrd_with_every_stream(recorded, tmp_path):
    pytest.importorskip("rerun")
    out = tmp_path / "episode.rrd"
    assert main(["view", str(recorded), "--episode", "1", "--save", str(out)]) == 0
    data = out.read_bytes()
    assert data[:4] == b"RRF2"
    for entity in (FRONT, DEPTH, "observation.state"):
        assert entity.encode() in data
    rows = rrd_rows(out)
    # Colour streams go in as their MP4 (one asset) and a frame reference per row, not as decoded images.
    assert rows[f"{FRONT}@AssetVideo"] == 1 and rows[f"{FRONT}@VideoFrameReference"] == 20
    assert f"{FRONT}@Image" not in rows
    assert rows[f"{DEPTH}@DepthImage"] == 20


def test_the_episode_video_holds_exactly_that_episodes_frames(recorded):
    with DatasetReader(recorded) as reader:
        row = reader.episode(1)
        mp4 = episode_mp4(reader.video_path(1, FRONT), float(row[f"videos/{FRONT}/from_timestamp"]), 20, reader.fps)
        expected = [read_frame_index(f) for f in reader.frames(1, keys=[FRONT])[FRONT]]
    with av.open(io.BytesIO(mp4)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert [read_frame_index(f) for f in frames] == expected and len(expected) == 20


def test_view_of_a_missing_episode_is_a_usage_error_naming_the_range(recorded, tmp_path, capsys):
    pytest.importorskip("rerun")
    assert main(["view", str(recorded), "--episode", "7", "--save", str(tmp_path / "x.rrd")]) == 2
    err = capsys.readouterr().err
    assert "--episode 7: " in err and "has episodes 0 to 2" in err and not (tmp_path / "x.rrd").exists()


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="the viewer needs X11/Wayland on Linux only")
def test_without_a_screen_view_fails_at_once_and_suggests_save(recorded, monkeypatch, capsys):
    pytest.importorskip("rerun")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["view", str(recorded), "--episode", "0"]) == 1
    err = capsys.readouterr().err
    assert "DISPLAY" in err and "--save FILE.rrd" in err and "rerun FILE.rrd" in err


def test_without_the_viewer_binary_view_fails_and_suggests_save(recorded, tmp_path):
    pytest.importorskip("rerun")
    code = ("import sys; sys.executable = sys.argv[1]; from lerec.cli import main; "
            f"sys.exit(main(['view', {str(recorded)!r}, '--episode', '0']))")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "bin" / "python")], capture_output=True,
                          text=True, timeout=120, env={"PATH": str(tmp_path), "DISPLAY": ":99"})
    assert proc.returncode == 1, proc.stderr
    assert "no rerun viewer" in proc.stderr and "--save FILE.rrd" in proc.stderr
