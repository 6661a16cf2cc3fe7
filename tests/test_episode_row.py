"""Episode rows typed both ways: a ``meta/episodes`` row read as an :class:`EpisodeRow` and written back is the
row it was, and the columns lerec does not know (typed a user's way, with nulls) come through merge and delete
exactly: same type, same values, same order."""

from __future__ import annotations

import attrs
import pyarrow as pa
import pyarrow.parquet as pq

from lerec.dataset.editing.edit import delete_episodes
from lerec.dataset.editing.merge import merge_datasets
from lerec.dataset.reading.validate import validate
from lerec.dataset.spec.format import EpisodeRow, FileAddress
from lerec.dataset.store.metadata import DatasetMeta

from dataset_fixtures import FRONT

EPISODES_FILE = "meta/episodes/chunk-000/file-000.parquet"
USER = {  # a user's columns of three episodes, typed as no Python value would infer them
    "user/score": pa.array([0.5, None, -2.25], pa.float32()),
    "user/tags": pa.array([["a", "b"], [], None], pa.list_(pa.string())),
    "user/meta": pa.array([{"n": 1, "who": "ann"}, None, {"n": 3, "who": None}],
                          pa.struct([("n", pa.int16()), ("who", pa.string())])),
    "user/big": pa.array([2**62, -1, 0], pa.int64()),
}


def add_user_columns(root) -> pa.Table:
    """Put the user's columns between lerec's (not at the end) in the dataset's one meta/episodes file."""
    path = root / EPISODES_FILE
    table = pq.read_table(path)
    at = table.column_names.index("length") + 1
    for offset, (name, values) in enumerate(USER.items()):
        table = table.add_column(at + offset, name, values)
    pq.write_table(table, path)
    return table


def user_columns(root) -> dict[int, dict[str, pa.Scalar]]:
    """Per episode, the user's columns as arrow scalars (their type included)."""
    out = {}
    for path in sorted(root.glob("meta/episodes/*/*.parquet")):
        table = pq.read_table(path)
        for i, e in enumerate(table.column("episode_index").to_pylist()):
            out[e] = {name: table.column(name)[i] for name in USER}
    return out


def test_a_row_read_is_typed_and_written_back_as_it_was(recorded, copy_of):
    root = copy_of(recorded)
    table = add_user_columns(root)
    meta = DatasetMeta.load(root)
    for raw, row in zip(table.to_pylist(), meta.episodes):
        assert list(row.to_row().items()) == list(raw.items())  # values, and the columns in the file's order
        assert EpisodeRow.from_row(raw, meta.video_keys) == row
        assert row.index == raw["episode_index"] and row.length == raw["length"]
        assert row.data == FileAddress(raw["data/chunk_index"], raw["data/file_index"])
        assert row.videos[FRONT].from_timestamp == raw[f"videos/{FRONT}/from_timestamp"]
        assert {name: row.extra[name] for name in USER} == {name: raw[name] for name in USER}
        assert all(not column.startswith(("stats/", "videos/")) for column in row.extra)
        assert row["length"] == raw["length"] and dict(row) == raw  # read as a mapping, the columns
    meta.save_episodes_file(0, 0)  # what a repair does to a file whose rows it keeps
    assert pq.read_table(root / EPISODES_FILE).equals(table, check_metadata=False)


def test_a_row_changed_keeps_its_unknown_columns_and_order(recorded, copy_of):
    root = copy_of(recorded)
    table = add_user_columns(root)
    meta = DatasetMeta.load(root)
    meta.episodes = [attrs.evolve(row, tasks=["renamed"]) for row in meta.episodes]
    meta.save_episodes_file(0, 0)
    written = pq.read_table(root / EPISODES_FILE)
    assert written.column_names == table.column_names
    assert written.column("tasks").to_pylist() == [["renamed"]] * 3
    assert written.drop_columns(["tasks"]).equals(table.drop_columns(["tasks"]), check_metadata=False)


def test_unknown_columns_come_through_merge_and_delete_exactly(recorded, recorded_b, copy_of, tmp_path):
    root = copy_of(recorded)
    add_user_columns(root)
    source = user_columns(root)
    merged = merge_datasets([root, recorded_b], tmp_path / "merged")
    deleted = delete_episodes(root, tmp_path / "deleted", [1])
    for out in (merged, deleted):
        assert validate(out) == []
    got = user_columns(merged)
    for e in range(3):
        assert all(got[e][name].equals(source[e][name]) for name in USER), e
    for e in (3, 4):  # recorded_b's episodes have none: null, typed as the first source's
        assert all(not got[e][name].is_valid and got[e][name].type == USER[name].type for name in USER)
    got = user_columns(deleted)
    assert sorted(got) == [0, 1]
    for e, se in ((0, 0), (1, 2)):
        assert all(got[e][name].equals(source[se][name]) for name in USER), e
