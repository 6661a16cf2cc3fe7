"""Episode labels through every tool: `lerec label`, merge, delete, filter, split, re-encode, the jobs, info."""

from __future__ import annotations

import json
import shutil

import pytest

from lerec.cli import main
from lerec.dataset.editing.edit import delete_episodes, reencode_dataset, split_dataset
from lerec.dataset.editing.merge import merge_datasets
from lerec.dataset.reading.validate import validate
from lerec.dataset.store.labels import EpisodeLabel, label_episodes, read_labels

from test_labels import assert_lerobot_shape, meta_bytes

CLEAN = EpisodeLabel(True, ("clean",))
DROPPED = EpisodeLabel(False, ("dropped", "night"), "slipped at 3 s")
UNSET = EpisodeLabel()
H264 = {"vcodec": "h264", "preset": "ultrafast", "crf": 35}


@pytest.fixture(scope="module")
def labelled(recorded, tmp_path_factory):
    """The three recorded episodes labelled: 0 a success, 1 a failure with tags and notes, 2 unset."""
    root = tmp_path_factory.mktemp("labelled") / "ds"
    shutil.copytree(recorded, root)
    label_episodes(root, [0], success=True, tags=["clean"])
    label_episodes(root, [1], success=False, tags=["dropped", "night"], notes="slipped at 3 s")
    return root


def test_the_cli_sets_and_lists_labels(recorded, copy_of, capsys):
    root = copy_of(recorded)
    assert main(["label", str(root), "--episodes", "0,2", "--success", "false", "--tags", "dropped,night",
                 "--notes", "slipped"]) == 0
    assert main(["label", str(root), "--episodes", "2", "--success", "unset", "--tags", ""]) == 0
    assert read_labels(root) == {0: EpisodeLabel(False, ("dropped", "night"), "slipped"), 1: UNSET,
                                 2: EpisodeLabel(None, (), "slipped")}
    capsys.readouterr()
    assert main(["label", str(root)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "episode 0: failure, tags dropped,night, notes 'slipped'", "episode 1: unlabelled",
        "episode 2: notes 'slipped'"]
    assert validate(root) == []


@pytest.mark.parametrize(("args", "message"), [
    (["--episodes", "3", "--success", "true"], "episode 3 does not exist"),
    (["--episodes", "0", "--success", "maybe"], "--success 'maybe': expected true, false or unset"),
    (["--episodes", "x", "--success", "true"], "--episodes 'x': expected episode indices"),
    (["--success", "true"], "--episodes is required"),
    (["--episodes", "0", "--tags", "a,\nb"], "tag '\\\\nb'"),
])
def test_the_cli_refuses_bad_flags_with_one_line_and_exit_2(recorded, copy_of, capsys, args, message):
    root = copy_of(recorded)
    before = meta_bytes(root)
    capsys.readouterr()
    assert main(["label", str(root), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lerec label: error: ") and len(err.strip().splitlines()) == 1, err
    assert message.replace("\\\\", "\\") in err
    assert meta_bytes(root) == before


def test_merge_keeps_the_labels(labelled, recorded_b, tmp_path):
    out = merge_datasets([labelled, recorded_b], tmp_path / "merged")
    assert read_labels(out) == {0: CLEAN, 1: DROPPED, 2: UNSET, 3: UNSET, 4: UNSET}
    assert_lerobot_shape(out)


def test_delete_and_split_keep_the_labels(labelled, tmp_path):
    delete_episodes(labelled, tmp_path / "deleted", [0])
    assert read_labels(tmp_path / "deleted") == {0: DROPPED, 1: UNSET}
    parts = split_dataset(labelled, tmp_path / "split", {"train": [0, 2], "val": [1]})
    assert read_labels(parts["train"]) == {0: CLEAN, 1: UNSET}
    assert read_labels(parts["val"]) == {0: DROPPED}
    for root in (tmp_path / "deleted", parts["train"], parts["val"]):
        assert_lerobot_shape(root)


def test_reencode_keeps_the_labels(labelled, tmp_path):
    reencode_dataset(labelled, tmp_path / "reencoded", rgb=H264, encoder_threads=1)
    assert read_labels(tmp_path / "reencoded") == {0: CLEAN, 1: DROPPED, 2: UNSET}
    assert_lerobot_shape(tmp_path / "reencoded")


def test_the_jobs_keep_the_labels(labelled, recorded_b, tmp_path):
    pytest.importorskip("datatrove", reason="needs lerec[scale]")
    import lerec.jobs

    local = {"executor": "local", "workers": 2}
    out = lerec.jobs.reencode(labelled, tmp_path / "job", rgb=H264, encoder_threads=1, **local)
    assert read_labels(out) == {0: CLEAN, 1: DROPPED, 2: UNSET}
    merged = lerec.jobs.merge([recorded_b, labelled], tmp_path / "merge-job", **local)
    assert read_labels(merged) == {0: UNSET, 1: UNSET, 2: CLEAN, 3: DROPPED, 4: UNSET}
    assert_lerobot_shape(merged)


def test_filter_keeps_the_labelled_subset(labelled, tmp_path, capsys):
    out = tmp_path / "successes"
    assert main(["edit", str(labelled), "filter", "--success", "true", "--output", str(out)]) == 0
    assert read_labels(out) == {0: CLEAN}
    assert main(["edit", str(labelled), "filter", "--tags", "night", "--output", str(tmp_path / "night")]) == 0
    assert read_labels(tmp_path / "night") == {0: DROPPED}
    assert main(["edit", str(labelled), "filter", "--success", "unset", "--output", str(tmp_path / "todo")]) == 0
    assert read_labels(tmp_path / "todo") == {0: UNSET}
    assert validate(out) == []
    capsys.readouterr()
    assert main(["edit", str(labelled), "filter", "--success", "true", "--tags", "night",
                 "--output", str(tmp_path / "none")]) == 1
    assert "no episode matches --success true --tags night" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()
    assert main(["edit", str(labelled), "filter", "--output", str(tmp_path / "none")]) == 2


def test_info_shows_the_success_rate_per_task(labelled, capsys):
    assert main(["info", str(labelled)]) == 0
    text = capsys.readouterr().out
    assert "3 ep  pick the cube  (success 1/2 labelled, 50%; 1 unlabelled)" in text
    assert main(["info", str(labelled), "--json"]) == 0
    success = json.loads(capsys.readouterr().out)["success"]
    assert success == {"pick the cube": {"episodes": 3, "succeeded": 1, "failed": 1, "success_rate": 0.5}}
