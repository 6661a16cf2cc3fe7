"""Episode labels (success, tags, notes): stored in every meta/episodes file, set atomically under the lock."""

from __future__ import annotations

from pathlib import Path

import anyio
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lerec import Recorder
from lerec.dataset.spec import format as fmt
from lerec.dataset.store.labels import UNCHANGED, EpisodeLabel, label_episodes, read_labels
from lerec.dataset.store.lock import dataset_lock
from lerec.dataset.store.tables import LABEL_TYPES
from lerec.errors import DatasetError, SettingsError
from dataset_fixtures import drop_checksums
from recording_fixtures import FAST_H264, STATE, CountingRobot, small_camera


def record_in_files(root: Path, episodes: int, per_file: int) -> Path:
    """``episodes`` episodes, ``per_file`` rows per meta/episodes file."""

    async def go():
        robot = CountingRobot()
        async with Recorder.create(root, 30, {"front": small_camera()}, STATE, rgb_encoder=FAST_H264) as rec:
            rec.writer.episodes_file_max_rows = per_file
            for _ in range(episodes):
                await rec.record_episode("pick the cube", num_frames=5, step=robot)

    anyio.run(go)
    return root


@pytest.fixture(scope="module")
def three_files(tmp_path_factory) -> Path:
    """Five episodes in three meta/episodes files (2, 2, 1)."""
    return record_in_files(tmp_path_factory.mktemp("labels") / "ds", episodes=5, per_file=2)


def episodes_files(root: Path) -> list[Path]:
    return sorted(root.glob(fmt.EPISODES_FILES))


def assert_lerobot_shape(root: Path) -> None:
    """What LeRobot 0.6.1 needs: every meta/episodes file has every label column, with one type."""
    files = episodes_files(root)
    assert files
    for path in files:
        schema = pq.read_schema(path)
        for column, typ in LABEL_TYPES.items():
            assert schema.field(column).type == typ, (path, column)
    assert len({pq.read_schema(p).remove_metadata() for p in files}) == 1


def meta_bytes(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted((root / "meta").rglob("*")) if p.is_file()}


def strip_labels(root: Path) -> None:
    """Make ``root`` look written before labels existed: no label column in any meta/episodes file (and, as
    then, no checksums in info.json)."""
    for path in episodes_files(root):
        table = pq.read_table(path)
        pq.write_table(table.drop_columns([c for c in fmt.LABEL_COLUMNS if c in table.column_names]), path)
    drop_checksums(root)


def test_a_new_recording_has_the_label_columns_in_every_file_unset(three_files):
    assert len(episodes_files(three_files)) == 3
    assert_lerobot_shape(three_files)
    assert read_labels(three_files) == {e: EpisodeLabel() for e in range(5)}
    for path in episodes_files(three_files):
        table = pq.read_table(path)
        assert all(table.column(c).null_count == table.num_rows for c in fmt.LABEL_COLUMNS)


def test_labels_round_trip(three_files, copy_of):
    root = copy_of(three_files)
    label_episodes(root, [1, 4], success=False, tags=["dropped", " blurry ", "dropped"], notes="slipped at 3 s")
    label_episodes(root, [np.int64(0)], success=True)  # any integer type, as numpy gives them
    label_episodes(root, [4], notes=UNCHANGED, tags=["regrasp"])
    assert read_labels(root) == {
        0: EpisodeLabel(success=True),
        1: EpisodeLabel(False, ("dropped", "blurry"), "slipped at 3 s"),
        2: EpisodeLabel(), 3: EpisodeLabel(),
        4: EpisodeLabel(False, ("regrasp",), "slipped at 3 s"),
    }
    label_episodes(root, [1], success=None, tags=[], notes=None)  # unset
    assert read_labels(root)[1] == EpisodeLabel()
    assert_lerobot_shape(root)
    assert not (root / ".lerec").exists()  # no lock or rollback left behind


def test_only_the_label_columns_change(three_files, copy_of):
    root = copy_of(three_files)
    before = {p: pq.read_table(p) for p in episodes_files(root)}
    label_episodes(root, [2], success=True, tags=["ok"])
    for path, table in before.items():
        after = pq.read_table(path)
        assert after.column_names == table.column_names
        assert after.drop_columns(list(fmt.LABEL_COLUMNS)).equals(table.drop_columns(list(fmt.LABEL_COLUMNS)))


@pytest.mark.parametrize(("episodes", "fields", "message"), [
    ([7], {"success": True}, "episode 7 does not exist"),
    ([0, -1], {"success": True}, "episode -1 does not exist"),
    ([], {"success": True}, "expected one or more episode indices"),
    ([0, 1.5], {"success": True}, "expected one or more episode indices"),
    ([True], {"success": True}, "expected one or more episode indices"),
    ([0], {"success": "yes"}, "success 'yes'"),
    ([0], {"tags": "dropped"}, "tags 'dropped'"),
    ([0], {"tags": ["a,b"]}, "tag 'a,b'"),
    ([0], {"tags": [""]}, "tag ''"),
    ([0], {"notes": 3}, "notes '3'"),
])
def test_bad_requests_are_refused_before_anything_is_written(three_files, copy_of, episodes, fields, message):
    root = copy_of(three_files)
    before = meta_bytes(root)
    with pytest.raises(SettingsError, match=message):
        label_episodes(root, episodes, **fields)
    assert meta_bytes(root) == before


def test_a_dataset_written_before_labels_gets_the_columns_in_every_file(three_files, copy_of):
    root = copy_of(three_files)
    strip_labels(root)
    assert read_labels(root) == {e: EpisodeLabel() for e in range(5)}
    label_episodes(root, [3], success=True)
    assert_lerobot_shape(root)
    assert read_labels(root)[3] == EpisodeLabel(success=True)


def test_resuming_a_dataset_written_before_labels_gives_every_file_the_columns(three_files, copy_of):
    root = copy_of(three_files)
    strip_labels(root)

    async def go():
        async with Recorder.create(root, 30, {"front": small_camera()}, STATE, rgb_encoder=FAST_H264,
                                   resume=True) as rec:
            await rec.record_episode("pick the cube", num_frames=5, step=CountingRobot())

    anyio.run(go)
    assert_lerobot_shape(root)
    assert read_labels(root) == {e: EpisodeLabel() for e in range(6)}


def test_a_column_of_another_type_is_refused_before_anything_is_written(three_files, copy_of):
    root = copy_of(three_files)
    last = episodes_files(root)[-1]
    table = pq.read_table(last)
    table = table.set_column(table.column_names.index(fmt.SUCCESS), pa.field(fmt.SUCCESS, pa.int64()),
                             pa.array([1] * table.num_rows, pa.int64()))
    pq.write_table(table, last)
    before = meta_bytes(root)
    with pytest.raises(DatasetError, match="column 'success'"):
        label_episodes(root, [0], success=True)
    assert meta_bytes(root) == before


def test_labelling_waits_for_no_one_a_locked_dataset_is_refused(three_files, copy_of):
    root = copy_of(three_files)
    before = meta_bytes(root)
    with dataset_lock(root, "lerec record"):
        with pytest.raises(DatasetError, match="in use by"):
            label_episodes(root, [0], success=True)
    assert meta_bytes(root) == before


def test_a_folder_that_is_no_dataset_is_refused(tmp_path):
    with pytest.raises(DatasetError, match="not a dataset"):
        label_episodes(tmp_path, [0], success=True)
    assert list(tmp_path.iterdir()) == []


def test_validate_names_an_episodes_file_without_the_columns_the_first_has(three_files, copy_of):
    from lerec.dataset.reading.validate import validate

    root = copy_of(three_files)
    assert validate(root) == []
    last = episodes_files(root)[-1]
    pq.write_table(pq.read_table(last).drop_columns([fmt.NOTES]), last)
    drop_checksums(root)  # as another tool that rewrote the file would leave info.json
    problems = [str(p) for p in validate(root)]
    assert problems == ["meta/episodes/chunk-000/file-002.parquet lacks the column 'notes' unlike "
                        "meta/episodes/chunk-000/file-000.parquet (LeRobot 0.6.1 cannot load such episodes)"], problems
