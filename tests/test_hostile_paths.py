"""A dataset can only lead lerec to files inside its root (or an edit's output): feature keys, templates, the
depth-conversion journal, split names and symlinks that point elsewhere are errors naming the file and the value,
raised before any file is touched. Every test keeps a canary tree outside the dataset and checks it afterwards."""

import os
import subprocess
import sys

import pytest

from lerec.cli import main
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.writing.writer import DatasetWriter
from lerec.errors import DatasetError

from dataset_fixtures import DEPTH, FRONT
from hostile import copy_dataset, edit_info, lead_key_outside, link_outside, plant_journal, tree


@pytest.fixture
def world(recorded, tmp_path):
    """A copy of the recorded dataset at tmp/nest/ds, with a canary tree at tmp/elsewhere."""
    root = copy_dataset(recorded, tmp_path / "nest/ds")
    canary = tmp_path / "elsewhere"
    canary.mkdir()
    (canary / "precious.txt").write_text("must stay as it is\n")
    return root, canary


def outside(tmp_path, root, *outputs):
    """What lies outside the dataset and the outputs: must not change."""
    return tree(tmp_path, skip=(root, *outputs))


def run_cli(capsys, *args) -> tuple[int, str]:
    rc = main([str(a) for a in args])
    return rc, capsys.readouterr().err


TOOLS = {
    "validate": lambda root, out: ["validate", root],
    "info": lambda root, out: ["info", root],
    "delete": lambda root, out: ["edit", root, "--output", out, "delete", "--episodes", "0"],
    "split": lambda root, out: ["edit", root, "--output", out, "split", "--episodes", "0;1"],
    "reencode": lambda root, out: ["edit", root, "--output", out, "reencode", "--rgb_encoder.crf", "30"],
    "merge": lambda root, out: ["merge", root, root.parent / "ds-b", "--output", out],
    "convert-depth": lambda root, out: ["convert-depth", root],
}


def second_source(root, recorded_b):
    copy_dataset(recorded_b, root.parent / "ds-b")


@pytest.mark.parametrize("absolute", [False, True], ids=["dotdot", "absolute"])
def test_a_feature_key_leading_outside_is_refused_by_every_tool(world, tmp_path, recorded_b, capsys, absolute):
    root, canary = world
    key = str(canary / "k") if absolute else "../../../elsewhere/k"
    lead_key_outside(root, FRONT, key)
    edit_info(root, total_episodes=2, total_frames=40)  # an unfinished third episode: --resume would cut it
    second_source(root, recorded_b)
    before = outside(tmp_path, root)
    for name, args in TOOLS.items():
        out = tmp_path / f"out-{name}"
        rc, err = run_cli(capsys, *args(root, out))
        assert rc == 1, (name, err)
        assert "meta/info.json" in err and repr(key) in err, (name, err)
        assert outside(tmp_path, root) == before, name
    with pytest.raises(DatasetError, match="feature key"):
        DatasetWriter.resume(root)
    assert outside(tmp_path, root) == before


def test_record_resume_refuses_a_hostile_key_before_touching_anything(world, tmp_path):
    root, canary = world
    lead_key_outside(root, FRONT, "../../../elsewhere/k")
    edit_info(root, total_episodes=1, total_frames=20)
    before, inside = outside(tmp_path, root), tree(root)
    result = subprocess.run(
        [sys.executable, "-m", "lerec", "record", f"--dataset.root={root}", "--resume", "--dataset.num_episodes=1",
         "--dataset.episode_time_s=0.2", "--cameras={front: {type: synthetic, width: 64, height: 48, fps: 30}}",
         "--dataset.rgb_encoder.vcodec=h264", "--dataset.rgb_encoder.preset=ultrafast"],
        capture_output=True, text=True, timeout=180)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "'../../../elsewhere/k'" in result.stderr, result.stderr[-3000:]
    assert outside(tmp_path, root) == before
    assert tree(root) == inside


@pytest.mark.parametrize("which", ["video", "data"])
def test_a_file_that_is_a_symlink_to_outside_is_refused(world, tmp_path, recorded_b, capsys, which):
    root, canary = world
    rel = f"videos/{DEPTH}/chunk-000/file-000.mp4" if which == "video" else "data/chunk-000/file-000.parquet"
    link_outside(root, rel, canary / os.path.basename(rel))
    edit_info(root, total_episodes=2, total_frames=40)  # --resume would cut the third episode out of the linked file
    second_source(root, recorded_b)
    before = outside(tmp_path, root)
    for name, args in TOOLS.items():
        if name == "convert-depth" and which == "data":
            continue  # it reads no data file
        rc, err = run_cli(capsys, *args(root, tmp_path / f"out-{name}"))
        assert rc == 1, (name, err)
        assert rel in err and "leads outside the dataset" in err, (name, err)
        assert outside(tmp_path, root) == before, name
    with pytest.raises(DatasetError, match="leads outside the dataset"):
        DatasetWriter.resume(root)
    with pytest.raises(DatasetError, match="leads outside the dataset"):
        with DatasetReader(root) as reader:
            reader.frame(0, 0, keys=[DEPTH])
            reader.rows(0)
    assert outside(tmp_path, root) == before


@pytest.mark.parametrize("entry", [
    ["../../elsewhere/file-001.mp4", "PRECIOUS"],
    [f"videos/{DEPTH}/chunk-000/.file-000.mp4.converted", "meta/info.json"],
    [f"videos/{DEPTH}/chunk-000/.file-000.mp4.converted", f"videos/{FRONT}/chunk-000/file-000.mp4"],
], ids=["outside", "over-info", "over-another-stream"])
def test_a_planted_conversion_journal_moves_nothing(world, tmp_path, capsys, entry):
    root, canary = world
    (canary / "file-001.mp4").write_bytes(b"an mp4 that must not move")
    converted = root / f"videos/{DEPTH}/chunk-000/.file-000.mp4.converted"
    converted.write_bytes(b"a converted copy that must not replace anything")
    entry = [str(canary / "precious.txt") if e == "PRECIOUS" else e for e in entry]
    plant_journal(root, entry)
    before, inside = outside(tmp_path, root), tree(root)
    rc, err = run_cli(capsys, "convert-depth", root)
    assert rc == 1 and ".lerec/convert-depth.json" in err and repr(entry) in err, err
    with pytest.raises(DatasetError, match="convert-depth.json"):
        DatasetWriter.resume(root)
    assert outside(tmp_path, root) == before
    assert tree(root) == inside


@pytest.mark.parametrize("names", ["a,../../escape", "a,ABSOLUTE", "a,", "x,x"])
def test_split_names_must_be_distinct_folder_names(world, tmp_path, capsys, names):
    root, _ = world
    names = names.replace("ABSOLUTE", str(tmp_path / "escape"))
    out = tmp_path / "out/split"
    before = outside(tmp_path, root)
    rc, err = run_cli(capsys, "edit", root, "--output", out, "split", "--episodes", "0;1,2", "--names", names)
    assert rc == 2 and "--names" in err, err  # a usage error (docs/cli.md)
    assert ("twice" in err) if names == "x,x" else ("cannot name a folder" in err), err
    assert outside(tmp_path, root) == before and not out.exists()


def test_split_with_good_names_still_works(world, tmp_path, capsys):
    root, _ = world
    out = tmp_path / "out"
    rc, err = run_cli(capsys, "edit", root, "--output", out, "split", "--episodes", "0;1,2", "--names", "a,b")
    assert rc == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["a", "b"]


def test_confine_follows_symlinks_and_refuses_what_leads_outside(tmp_path):
    from lerec.dataset.spec import layout

    root = tmp_path / "root"
    (root / "videos").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (root / "videos/inside").symlink_to(root / "videos")          # a link that stays inside is fine
    (root / "videos/out").symlink_to(tmp_path / "outside")
    (root / "loop").symlink_to(root / "loop")
    assert layout.confine(root, "videos/inside/x.mp4") == root / "videos/inside/x.mp4"
    for rel, message in [("videos/out/x.mp4", "leads outside"), ("../root2/x", "leads outside"),
                         (str(tmp_path / "x"), "is outside"), ("a\0b", "is outside"),
                         ("loop/x", "leads outside|cannot be resolved")]:
        with pytest.raises(DatasetError, match=message):
            layout.confine(root, rel, "meta/info.json")


@pytest.mark.parametrize("key", ["../x", "a/b", "", "..", "a*", "/abs"])
def test_a_new_dataset_with_a_key_that_cannot_name_a_folder_is_refused_before_anything_is_written(tmp_path, key):
    root = tmp_path / "new"
    with pytest.raises(DatasetError, match="cannot name a folder"):
        DatasetWriter.create(root, 30, {key: {"dtype": "video", "shape": [48, 64, 3], "names": None}})
    assert not root.exists() and list(tmp_path.iterdir()) == []
