"""Each tick's values are checked against their features at that tick: a wrong shape or dtype ends the episode
there, naming the feature, what was expected and what came; the episode is discarded, the saved ones stay."""

import numpy as np
import pyarrow.parquet as pq
import pytest

from lerec import Recorder
from lerec.dataset.reading.validate import validate
from lerec.dataset.store.metadata import DatasetMeta
from lerec.errors import DatasetError
from lerec.robots import SyntheticRobotConfig
from lerec.robots.synthetic import SyntheticRobot

from recording_fixtures import FAST_H264, STATE, CountingRobot, small_camera


def data_rows(root):
    return [r for p in sorted((root / "data").glob("chunk-*/file-*.parquet")) for r in pq.read_table(p).to_pylist()]


async def test_a_wrong_shape_fails_at_the_first_tick_and_the_episode_is_discarded(dataset_root):
    robot = CountingRobot()
    calls = 0

    def five_joints():
        nonlocal calls
        calls += 1
        return {"observation.state": np.zeros(5, np.float32), "action": np.zeros(3, np.float32)}

    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, STATE, rgb_encoder=FAST_H264) as rec:
        await rec.record_episode("ok", num_frames=6, step=robot)
        with pytest.raises(DatasetError, match=r"step returned feature 'observation.state' as float32 shape \[5\] "
                                               r"at tick 0; expected float32 shape \[3\]"):
            await rec.record_episode("bad", num_frames=300, step=five_joints)
        assert calls == 1  # ended at its first tick, not after 10 s
        robot.tick = 0
        report = await rec.record_episode("ok again", num_frames=4, step=robot)
        assert report.episode_index == 1
    meta = DatasetMeta.load(dataset_root)
    assert [r["length"] for r in meta.episodes] == [6, 4] and meta.tasks == ["ok", "ok again"]
    assert validate(dataset_root) == []


async def test_a_wrong_dtype_later_in_the_episode_fails_at_its_tick(dataset_root):
    features = {"count": {"dtype": "int64", "shape": [1]}, "action": {"dtype": "float32", "shape": [2]}}
    calls = 0

    def step():
        nonlocal calls
        calls += 1
        count = 7 if calls <= 7 else 7.5  # a float for an int64 feature from tick 7
        return {"count": count, "action": [0.0, 1.0]}

    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, features, rgb_encoder=FAST_H264) as rec:
        with pytest.raises(DatasetError, match=r"feature 'count' as float64 shape \[\] at tick 7; "
                                               r"expected int64 shape \[1\]"):
            await rec.record_episode("t", num_frames=300, step=step)
        assert calls == 8
    assert DatasetMeta.load(dataset_root).info["total_episodes"] == 0
    assert not (dataset_root / ".lerec").exists()


async def test_values_are_copied_at_their_tick(dataset_root):
    buffer = np.zeros(3, np.float32)

    def reuses_its_buffer():
        np.add(buffer, 1, out=buffer)  # one array, changed in place every tick, as a driver's read buffer is
        return {"observation.state": buffer, "action": buffer}

    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, STATE, rgb_encoder=FAST_H264) as rec:
        await rec.record_episode("t", num_frames=4, step=reuses_its_buffer)
    assert [r["observation.state"] for r in data_rows(dataset_root)] == [[k + 1.0] * 3 for k in range(4)]


class ShortArm(SyntheticRobot):
    """A robot plugin that declares 6 joints and reads 5."""

    async def read(self):
        values = await super().read()
        return {"observation.state": values["observation.state"][:5]}


async def test_a_robot_reading_a_wrong_shape_is_named(dataset_root):
    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, robot=ShortArm(SyntheticRobotConfig()),
                               rgb_encoder=FAST_H264) as rec:
        with pytest.raises(DatasetError, match=r"robot 'synthetic' observation returned feature 'observation.state' "
                                               r"as float32 shape \[5\] at tick 0; expected float32 shape \[6\]"):
            await rec.record_episode("t", num_frames=30, step=lambda observation: {"action": np.zeros(6)})
    assert DatasetMeta.load(dataset_root).info["total_episodes"] == 0
