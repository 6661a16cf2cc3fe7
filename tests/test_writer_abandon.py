"""An episode whose row was staged in meta/ before its videos were appended, then abandoned, leaves no trace."""

import json

import numpy as np
import pyarrow.parquet as pq

from lerec.dataset.store.metadata import DatasetMeta
from lerec.dataset.writing.writer import DatasetWriter

from recording_fixtures import record, small_camera
from test_recorder import FRONT, check_invariant


async def test_abandoned_staged_episode_is_cut_from_meta_and_data(dataset_root):
    await record(dataset_root, {"front": small_camera()}, num_frames=20)
    stats_before = json.loads((dataset_root / "meta/stats.json").read_text())

    writer = DatasetWriter.resume(dataset_root)
    pending = writer.begin_episode("a task never committed", 7)
    state = np.arange(21, dtype=np.float32).reshape(7, 3)
    writer.append_frames(pending, writer.place_frames(pending, {"observation.state": state, "action": state + 100}))
    video_stats = {FRONT: DatasetMeta.load(dataset_root).episode_stats(writer.meta.episodes[0])[FRONT]}
    writer.stage_row(pending, video_stats)
    # Staged: the row, the task and the stats are on disk, info.json is not.
    assert len(pq.read_table(dataset_root / "meta/episodes/chunk-000/file-000.parquet")) == 2
    assert len(pq.read_table(dataset_root / "meta/tasks.parquet")) == 2
    assert len(pq.read_table(dataset_root / "data/chunk-000/file-000.parquet")) == 27

    writer.abandon_episode()
    meta = check_invariant(dataset_root, [FRONT])
    assert meta.info["total_episodes"] == 1 and len(meta.episodes) == 1
    assert meta.tasks == ["pick the cube"]
    assert len(pq.read_table(dataset_root / "data/chunk-000/file-000.parquet")) == 20
    assert json.loads((dataset_root / "meta/stats.json").read_text()) == stats_before
    assert writer.pending is None and writer.staging.is_dir()

    # The writer keeps the data file's rows in memory between appends: the cut ones are not among them.
    pending = writer.begin_episode("pick the cube", 4)
    writer.append_frames(pending, writer.place_frames(pending, {"observation.state": state[:4], "action": state[:4]}))
    data = pq.read_table(dataset_root / "data/chunk-000/file-000.parquet")
    assert data.column("episode_index").to_pylist() == [0] * 20 + [1] * 4
    assert data.column("index").to_pylist() == list(range(24))


async def test_abandoned_episode_that_opened_new_parquet_files_leaves_none(dataset_root):
    await record(dataset_root, {"front": small_camera()}, num_frames=20)
    writer = DatasetWriter.resume(dataset_root)
    writer.data_file_max_rows = writer.episodes_file_max_rows = 1  # the next episode starts new files
    pending = writer.begin_episode("pick the cube", 5)
    state = np.zeros((5, 3), dtype=np.float32)
    writer.append_frames(pending, writer.place_frames(pending, {"observation.state": state, "action": state}))
    writer.stage_row(pending, {FRONT: writer.meta.episode_stats(writer.meta.episodes[0])[FRONT]})
    new_files = [dataset_root / "data/chunk-000/file-001.parquet",
                 dataset_root / "meta/episodes/chunk-000/file-001.parquet"]
    assert all(path.exists() for path in new_files)

    writer.abandon_episode()
    assert not any(path.exists() for path in new_files)
    check_invariant(dataset_root, [FRONT])
