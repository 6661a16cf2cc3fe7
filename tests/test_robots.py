"""Robots and teleoperators: discovered as plugins, recorded in LeRobot's tick order, failures named."""

import numpy as np
import pyarrow.parquet as pq
import pytest

from lerec import Recorder
from lerec.dataset.reading.validate import validate
from lerec.dataset.store.metadata import DatasetMeta
from lerec.errors import LerecError, RobotError
from lerec.robots import Robot, SyntheticRobotConfig, SyntheticTeleopConfig, vector_feature
from lerec.robots.registry import build_config, device_types
from lerec.robots.synthetic import synthetic_action

from recording_fixtures import FAST_H264, small_camera

FRONT = "observation.images.front"


def all_rows(root):
    tables = [pq.read_table(p) for p in sorted((root / "data").glob("chunk-*/file-*.parquet"))]
    return [r for t in tables for r in t.to_pylist()]


def test_synthetic_robot_and_teleop_register_through_entry_points():
    assert device_types("robot")["synthetic"].distribution == "lerec"
    assert device_types("teleop")["synthetic"].type.config_class is SyntheticTeleopConfig
    from lerec.cameras.hookspecs import hookimpl, lerec_camera_types  # the camera contract's old home stays
    from lerec.plugins.hookspecs import hookimpl as shared

    assert hookimpl is shared and callable(lerec_camera_types)


def test_unknown_robot_type_and_option_are_named():
    with pytest.raises(LerecError, match=r"unknown robot type 'so101'; installed: .*synthetic"):
        build_config("robot", "so101", {})
    with pytest.raises(LerecError, match=r"teleop type 'synthetic' has no option 'port'; its options are: .*joints"):
        build_config("teleop", "synthetic", {"port": "/dev/ttyACM0"})


async def test_rows_are_what_the_synthetic_devices_gave_at_every_tick(dataset_root):
    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, robot=SyntheticRobotConfig(),
                               teleop=SyntheticTeleopConfig(), rgb_encoder=FAST_H264) as rec:
        for length in (12, 9):
            report = await rec.record_episode("follow", num_frames=length)
            assert report.length == length
    meta = DatasetMeta.load(dataset_root)
    assert meta.info["robot_type"] == "synthetic"
    assert meta.features["action"]["names"] == [f"joint_{i}.pos" for i in range(6)]
    rows = all_rows(dataset_root)
    assert len(rows) == 21
    # The teleop's n-th action, sent at tick n; the robot reads at tick n where the action of tick n-1 took it.
    for n, row in enumerate(rows):
        np.testing.assert_array_equal(np.float32(row["action"]), synthetic_action(n))
        expected = synthetic_action(n - 1) if n else np.zeros(6, np.float32)
        np.testing.assert_array_equal(np.float32(row["observation.state"]), expected)
    assert validate(dataset_root) == []


async def test_a_policy_gives_the_action_from_the_observation(dataset_root):
    seen = []

    async def policy(observation):
        seen.append(observation["observation.state"].copy())
        return {"action": np.full(3, len(seen), dtype=np.float64)}  # float64 for a float32 feature is fine

    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, robot=SyntheticRobotConfig(joints=3),
                               rgb_encoder=FAST_H264) as rec:
        with pytest.raises(LerecError, match="no teleop"):
            await rec.record_episode("t", num_frames=3)
        await rec.record_episode("t", num_frames=5, step=policy)
    rows = all_rows(dataset_root)
    assert [r["action"] for r in rows] == [[k + 1.0] * 3 for k in range(5)]
    assert [r["observation.state"] for r in rows] == [[float(k)] * 3 for k in range(5)]
    assert [list(s) for s in seen] == [[float(k)] * 3 for k in range(5)]


async def test_a_robot_error_ends_the_episode_naming_the_robot(dataset_root):
    robot = SyntheticRobotConfig(fail_at=15, id="left")
    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, robot=robot,
                               teleop=SyntheticTeleopConfig(), rgb_encoder=FAST_H264) as rec:
        await rec.record_episode("ok", num_frames=10)
        with pytest.raises(RobotError, match=r"robot 'synthetic' \(id 'left'\): synthetic failure at read 15"):
            await rec.record_episode("breaks", num_frames=30)
    meta = DatasetMeta.load(dataset_root)
    assert meta.info["total_episodes"] == 1 and meta.tasks == ["ok"]
    assert validate(dataset_root) == []
    assert not (dataset_root / ".lerec").exists()


class SerialArm(Robot):
    """A robot written as a plugin author would, whose port fails with an OSError after some reads."""

    name = "serial_arm"

    def __init__(self, fail_after: int):
        self.fail_after = fail_after
        self.reads = 0
        self.calls: list[str] = []

    observation_features = property(lambda self: {"observation.state": vector_feature(["a", "b"])})
    action_features = property(lambda self: {"action": vector_feature(["a", "b"])})

    async def open(self):
        self.calls.append("open")

    async def read(self):
        self.calls.append("read")
        self.reads += 1
        if self.reads > self.fail_after:
            raise OSError(5, "Input/output error")
        return {"observation.state": np.zeros(2, np.float32)}

    async def send(self, action):
        self.calls.append("send")

    async def close(self):
        self.calls.append("close")


async def test_tick_order_and_a_plain_exception_named_for_its_robot(dataset_root):
    arm = SerialArm(fail_after=3)

    def policy(observation):
        arm.calls.append("action")
        return {"action": [1.0, 2.0]}

    with pytest.raises(RobotError, match=r"robot 'serial_arm': read: OSError: .*Input/output error"):
        async with Recorder.create(dataset_root, 30, {"front": small_camera()}, robot=arm,
                                   rgb_encoder=FAST_H264) as rec:
            await rec.record_episode("t", num_frames=10, step=policy)
    assert arm.calls == ["open"] + ["read", "action", "send"] * 3 + ["read", "close"]
    assert DatasetMeta.load(dataset_root).info["total_episodes"] == 0


async def test_a_teleop_must_give_the_robots_actions(dataset_root):
    with pytest.raises(LerecError, match=r"teleop 'synthetic' gives actions .*'action': \('float32', \[4\].*"
                                         r"robot 'synthetic' takes .*\[6\]"):
        async with Recorder.create(dataset_root, 30, {"front": small_camera()}, robot=SyntheticRobotConfig(),
                                   teleop=SyntheticTeleopConfig(joints=4)):
            pass
    assert not dataset_root.exists()


async def test_the_reset_drives_the_robot_without_recording(dataset_root):
    robot = SyntheticRobotConfig()
    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, robot=robot,
                               teleop=SyntheticTeleopConfig(), rgb_encoder=FAST_H264) as rec:
        await rec.record_episode("t", num_frames=4)
        await rec.reset(0.2)  # 6 ticks: teleop -> robot, nothing written
        assert rec.teleop.actions == 10 and rec.robot.reads == 10
        await rec.record_episode("t", num_frames=3)
    rows = all_rows(dataset_root)
    assert [r["frame_index"] for r in rows] == [0, 1, 2, 3, 0, 1, 2]
    np.testing.assert_array_equal(np.float32(rows[4]["action"]), synthetic_action(10))
    np.testing.assert_array_equal(np.float32(rows[4]["observation.state"]), synthetic_action(9))


class UnpluggedArm(SerialArm):
    async def open(self):
        self.calls.append("open")
        raise FileNotFoundError(2, "No such file or directory", "/dev/ttyACM0")


async def test_a_robot_that_cannot_open_fails_before_the_dataset_is_made(dataset_root):
    arm = UnpluggedArm(fail_after=0)
    with pytest.raises(RobotError, match=r"robot 'serial_arm': open: FileNotFoundError: .*/dev/ttyACM0"):
        async with Recorder.create(dataset_root, 30, {"front": small_camera()}, robot=arm):
            pass
    assert arm.calls == ["open", "close"]
    assert not dataset_root.exists()
