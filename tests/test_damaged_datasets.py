"""Damage the tools used to accept in silence: a data file without a declared column, a dataset without episode
rows, and episode rows past info.json's ``total_episodes`` (the commit point ``--resume`` trusts)."""

from __future__ import annotations

import json

import attrs
import pyarrow.parquet as pq
import pytest

from lerec.cli import main
from lerec.dataset.editing.edit import delete_episodes, split_dataset
from lerec.dataset.editing.merge import merge_datasets
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.validate import validate
from lerec.dataset.store.metadata import DatasetMeta
from lerec.errors import DatasetError

from damage_fixtures import DAMAGES


def test_validate_names_a_declared_column_the_data_file_lacks(recorded, copy_of):
    root = copy_of(recorded)
    DAMAGES["data no declared feature column"][0](root)
    messages = [str(p) for p in validate(root)]
    assert any("data/chunk-000/file-000.parquet: no column 'observation.state'" in m for m in messages), messages


def test_a_dataset_without_episode_rows_is_not_merged_as_empty(recorded, recorded_b, copy_of, tmp_path, capsys):
    root = copy_of(recorded)
    DAMAGES["episodes folder missing"][0](root)
    with pytest.raises(DatasetError, match=r"meta/episodes: 0 episode rows, but meta/info.json total_episodes is 3"):
        merge_datasets([recorded_b, root], tmp_path / "merged")
    assert main(["merge", str(recorded_b), str(root), "--output", str(tmp_path / "merged")]) == 1
    assert "merged" not in capsys.readouterr().out
    assert not (tmp_path / "merged").exists()


def _uncommit_last_episode(root):
    """What a crash between writing an episode's rows and info.json leaves: one episode (with a new task) past
    info.json's totals."""
    meta = DatasetMeta.load(root)
    last = meta.episodes[-1] = attrs.evolve(meta.episodes[-1], tasks=["a task never committed"])
    meta.task_index("a task never committed")
    meta.save_episodes_file(0, 0)
    meta.save_tasks()
    info = json.loads((root / "meta/info.json").read_text())
    info.update(total_episodes=2, total_frames=info["total_frames"] - last["length"], total_tasks=1)
    (root / "meta/info.json").write_text(json.dumps(info))


def test_episodes_past_total_episodes_are_ignored_as_resume_ignores_them(recorded, recorded_b, copy_of, tmp_path):
    root = copy_of(recorded)
    _uncommit_last_episode(root)
    with DatasetReader(root) as reader:
        assert (reader.num_episodes, reader.tasks) == (2, ["pick the cube"])
    merged = merge_datasets([root, recorded_b], tmp_path / "merged")
    deleted = delete_episodes(root, tmp_path / "deleted", [0])
    splits = split_dataset(root, tmp_path / "split", {"a": [0], "b": [1]})
    for out, episodes in ((merged, 4), (deleted, 1), (splits["a"], 1), (splits["b"], 1)):
        assert validate(out) == []
        meta = DatasetMeta.load(out)
        assert len(meta.episodes) == episodes
        assert "a task never committed" not in meta.tasks
    assert len(pq.read_table(deleted / "data/chunk-000/file-000.parquet")) == 20
    with pytest.raises(DatasetError, match="episode 2 does not exist"):
        delete_episodes(root, tmp_path / "deleted2", [2])
    assert len(DatasetMeta.load(root, uncommitted=True).episodes) == 3  # what --resume repairs


def test_the_cli_warns_once_about_episodes_past_total_episodes(recorded, copy_of, tmp_path, caplog):
    root = copy_of(recorded)
    _uncommit_last_episode(root)
    assert main(["edit", str(root), "--output", str(tmp_path / "out"), "delete", "--episodes", "0"]) == 0
    warnings = [r.getMessage() for r in caplog.records if "ignoring 1 episode(s) and 1 task(s)" in r.getMessage()]
    assert len(warnings) == 1, warnings
