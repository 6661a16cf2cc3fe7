"""end_episode / rerecord_episode / stop, called from a task or a thread while the recorder runs."""

import anyio

from lerec import Recorder
from lerec.dataset.reading.validate import validate
from lerec.dataset.store.metadata import DatasetMeta
from lerec.robots import SyntheticRobotConfig, SyntheticTeleopConfig

from recording_fixtures import FAST_H264, STATE, CountingRobot, small_camera


def files(root):
    """Every file of the dataset with its size and content (staging aside)."""
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".lerec" not in p.parts}


async def test_end_episode_from_a_thread_saves_the_frames_so_far(dataset_root):
    robot = CountingRobot()

    async def step():
        values = robot()
        if robot.tick == 5:
            await anyio.to_thread.run_sync(rec.end_episode)  # as a pedal's thread would
        return values

    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, STATE, rgb_encoder=FAST_H264) as rec:
        report = await rec.record_episode("t", num_frames=300, step=step)
        assert report.length == 5 and report.stopped_early and not report.discarded
        assert (await rec.record_episode("t", num_frames=4, step=robot)).length == 4  # the request was used up
    assert [r["length"] for r in DatasetMeta.load(dataset_root).episodes] == [5, 4]


async def test_rerecord_leaves_nothing_on_disk_and_reuses_the_index(dataset_root):
    robot = CountingRobot()

    def step():
        values = robot()
        if robot.tick == 7:
            rec.rerecord_episode()
        return values

    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, STATE, rgb_encoder=FAST_H264) as rec:
        await rec.record_episode("first", num_frames=6, step=robot)
        before = files(dataset_root)
        robot.tick = 0
        report = await rec.record_episode("a new task", num_frames=300, step=step)
        assert report.discarded and report.episode_index == 1 and report.length == 7
        assert "discarded after 7 frames" in report.summary()
        assert files(dataset_root) == before  # no row, no video fragment, no new task
        again = await rec.record_episode("a new task", num_frames=4, step=robot)
        assert again.episode_index == 1 and not again.discarded
    meta = DatasetMeta.load(dataset_root)
    assert [r["length"] for r in meta.episodes] == [6, 4] and meta.tasks == ["first", "a new task"]
    assert validate(dataset_root) == []


async def test_stop_saves_the_episode_and_ends_the_session(dataset_root):
    robot = CountingRobot()

    def step():
        if robot.tick == 3:
            rec.stop()
        return robot()

    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, STATE, rgb_encoder=FAST_H264) as rec:
        report = await rec.record_episode("t", num_frames=300, step=step)
        assert report.length == 4 and rec.stopped
        await rec.reset(60)  # returns at once
        late = await rec.record_episode("t", num_frames=30, step=robot)
        assert late.length == 0 and robot.tick == 4
    assert [r["length"] for r in DatasetMeta.load(dataset_root).episodes] == [4]


async def test_end_episode_ends_the_reset_and_the_teleop_drives_until_then(dataset_root):
    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, robot=SyntheticRobotConfig(),
                               teleop=SyntheticTeleopConfig(), rgb_encoder=FAST_H264) as rec:
        await rec.record_episode("t", num_frames=3)
        async with anyio.create_task_group() as tg:
            tg.start_soon(rec.reset, 60)
            while rec.teleop.actions < 8:
                await anyio.sleep(0.005)
            assert rec.status.phase == "reset"
            await anyio.to_thread.run_sync(rec.end_episode)
        assert rec.status.phase == "idle"
        driven = rec.teleop.actions
        assert 8 <= driven < 60 * 30 and rec.robot.reads == driven
        report = await rec.record_episode("t", num_frames=3)
        assert report.length == 3  # the request that ended the reset does not end this episode
    assert DatasetMeta.load(dataset_root).info["total_episodes"] == 2


async def test_rerecord_needs_an_episode_being_recorded(dataset_root):
    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, STATE, rgb_encoder=FAST_H264) as rec:
        rec.rerecord_episode()  # between episodes: nothing to discard, the next one records
        report = await rec.record_episode("t", num_frames=3, step=CountingRobot())
        assert not report.discarded and report.length == 3


async def test_ending_an_episode_early_does_not_skip_the_reset_after_it(dataset_root):
    async with Recorder.create(dataset_root, 30, {"front": small_camera()}, robot=SyntheticRobotConfig(),
                               teleop=SyntheticTeleopConfig(), rgb_encoder=FAST_H264) as rec:
        async with anyio.create_task_group() as tg:
            async def press_n():
                while rec.status.tick < 3:
                    await anyio.sleep(0.005)
                rec.end_episode()

            tg.start_soon(press_n)
            report = await rec.record_episode("t", num_frames=300)
        assert report.stopped_early
        before = rec.teleop.actions
        await rec.reset(0.3)  # the → that ended the episode was used up by it: the reset runs its 9 ticks
        assert rec.teleop.actions - before == 9
