"""Policies on the robot: the scripted policy drives the synthetic robot through `Rollout`, every row checked."""

import os
import re
import signal
import subprocess
import sys

import anyio
import numpy as np
import pyarrow.parquet as pq
import pytest

from lerec.dataset.reading.validate import validate
from lerec.dataset.store.metadata import DatasetMeta
from lerec.errors import PolicyError, RobotError, SettingsError
from lerec.policies import ScriptedPolicyConfig
from lerec.policies.registry import policy_types
from lerec.recording import highlight, tick_phase
from lerec.recording.replay import replay
from lerec.recording.rollout import Rollout, RolloutSettings
from lerec.robots import SyntheticRobotConfig, SyntheticTeleopConfig
from lerec.robots.synthetic import SyntheticRobot, SyntheticTeleop, synthetic_action

from recording_fixtures import FAST_H264, barcodes, episode_frames, small_camera

INCREMENT = np.float32(0.01) * np.arange(1, 7, dtype=np.float32)  # the scripted policy's step per tick


class LoggedRobot(SyntheticRobot):
    """The synthetic robot, keeping every action it was sent (and failing at send ``fail_send``)."""

    def __init__(self, config=SyntheticRobotConfig(), fail_send=None):
        super().__init__(config)
        self.sent, self.fail_send = [], fail_send

    async def send(self, action):
        if self.fail_send is not None and len(self.sent) >= self.fail_send:
            raise RobotError(self.name, f"synthetic send failure at {len(self.sent)}")
        self.sent.append(np.asarray(action["action"]).copy())
        await super().send(action)


def rows(root):
    tables = [pq.read_table(p) for p in sorted((root / "data").glob("chunk-*/file-*.parquet"))]
    return {key: np.asarray([v for t in tables for v in t.column(key).to_pylist()]) for key in tables[0].column_names}


async def run(root, settings, policy=ScriptedPolicyConfig(), robot=None, teleop=None, during=None, cameras=None):
    async with Rollout.create(robot or SyntheticRobotConfig(), policy, cameras or {"front": small_camera()},
                              settings, teleop=teleop, root=root, fps=30, rgb_encoder=FAST_H264) as rollout:
        async with anyio.create_task_group() as tg:
            if during is not None:
                tg.start_soon(during, rollout)
            episodes = await rollout.episodes()
            tg.cancel_scope.cancel()
    return episodes


def test_scripted_policy_registers_through_its_entry_point():
    assert policy_types()["scripted"].distribution == "lerec"


@pytest.mark.parametrize("mode", ["async", "sync"])
async def test_every_row_is_the_policy_acting_on_what_the_robot_observed(dataset_root, mode):
    settings = RolloutSettings("episodic", mode, num_episodes=2, episode_time_s=1.0, task="reach")
    episodes = await run(dataset_root, settings, ScriptedPolicyConfig(chunk_size=8))
    assert [e.recorded.length for e in episodes] == [30, 30]
    data = rows(dataset_root)
    step = data["action"] - data["observation.state"]
    moved = np.isclose(step, INCREMENT, atol=1e-5).all(axis=1)
    held = np.isclose(step, 0, atol=1e-5).all(axis=1)
    assert (moved | held).all()  # a chunk predicted ticks ago still acts on the state it finds: no stale action
    assert held.sum() == sum(e.inference.held for e in episodes)
    assert all(e.inference.ticks == 30 and e.inference.mode == mode for e in episodes)
    if mode == "sync":
        assert held.sum() == 0 and episodes[0].inference.predictions == 4  # ceil(30 / 8), on the clock
    assert validate(dataset_root) == []


async def test_a_slow_policy_never_stalls_the_clock_and_held_ticks_are_counted(dataset_root):
    policy = ScriptedPolicyConfig(chunk_size=4, latency_s=0.25)  # 4 actions last 133 ms; a prediction 250 ms
    episodes = await run(dataset_root, RolloutSettings("episodic", "async", episode_time_s=1.0), policy)
    data = rows(dataset_root)
    held = np.isclose(data["action"] - data["observation.state"], 0, atol=1e-5).all(axis=1)
    report = episodes[0].inference
    assert report.held == held.sum() > 0 and report.latency_ms_p50 >= 250
    assert episodes[0].recorded.length == 30


async def test_dagger_records_the_teleop_while_a_human_corrects_and_the_policy_proposal_always(dataset_root):
    async def correct(rollout):
        while rollout.rows.tick < 8:
            await anyio.sleep(0.002)
        rollout.controls.take_over()
        while rollout.rows.tick < 20:
            await anyio.sleep(0.002)
        rollout.controls.hand_back()

    settings = RolloutSettings("dagger", "async", episode_time_s=1.0)
    episodes = await run(dataset_root, settings, teleop=SyntheticTeleopConfig(), during=correct)
    data = rows(dataset_root)
    flags = data["intervention"].reshape(-1)
    assert flags.dtype == bool and 0 < flags.sum() < 30 and flags.sum() == episodes[0].interventions
    first = int(np.argmax(flags))
    assert flags[first:first + flags.sum()].all()  # one correction, contiguous
    for n, i in enumerate(np.flatnonzero(flags)):  # the teleop's n-th action, sent while the human drove
        np.testing.assert_array_equal(np.float32(data["action"][i]), synthetic_action(n))
    np.testing.assert_array_equal(data["action"][~flags], data["policy_action"][~flags])
    features = DatasetMeta.load(dataset_root).features
    assert features["intervention"] == {"dtype": "bool", "shape": [1], "names": None}
    assert features["policy_action"]["shape"] == [6]
    assert validate(dataset_root) == []


@pytest.mark.parametrize("fail", ["nan", "shape", "dtype"])
async def test_a_bad_policy_output_ends_the_episode_and_is_never_sent(dataset_root, fail):
    robot = LoggedRobot()
    with pytest.raises(PolicyError, match=rf"policy 'scripted' at tick \d+ gave"):
        await run(dataset_root, RolloutSettings("episodic", "async", episode_time_s=2.0), robot=robot,
                  policy=ScriptedPolicyConfig(chunk_size=6, fail=fail, fail_at=2))
    assert robot.sent and all(np.isfinite(a).all() and a.shape == (6,) for a in robot.sent)
    assert len(robot.sent) < 60 and not dataset_root.exists()  # the dataset it created holds nothing: removed


async def test_a_policy_that_does_not_fit_the_robot_fails_before_anything_opens(tmp_path):
    root = tmp_path / "never"
    with pytest.raises(SettingsError, match=r"needs 'observation.state' of shape \[4\]"):
        await run(root, RolloutSettings(), ScriptedPolicyConfig(joints=4))
    assert not root.exists()


async def test_camera_features_are_matched_by_name_or_through_the_rename_map(dataset_root):
    policy = ScriptedPolicyConfig(cameras=("top",))
    with pytest.raises(SettingsError, match=r"needs observation 'observation.images.top'.*--rename_map"):
        await run(dataset_root, RolloutSettings(episode_time_s=0.3), policy)
    assert not dataset_root.exists()  # found once the cameras opened: the new dataset is not left behind
    settings = RolloutSettings(episode_time_s=0.3, rename_map={"observation.images.front": "observation.images.top"})
    episodes = await run(dataset_root.parent / "renamed", settings, policy)
    assert episodes[0].recorded.length == 9


async def test_replay_sends_the_recorded_actions_and_refuses_another_robot(dataset_root):
    await run(dataset_root, RolloutSettings(episode_time_s=0.5))
    robot = LoggedRobot()
    assert await replay(dataset_root, 0, robot) == 15
    np.testing.assert_array_equal(np.asarray(robot.sent), rows(dataset_root)["action"].astype(np.float32))
    with pytest.raises(SettingsError, match=r"takes actions .*\[5\].*recorded .*\[6\]"):
        await replay(dataset_root, 0, SyntheticRobotConfig(joints=5))
    failing = LoggedRobot(fail_send=4)
    with pytest.raises(RobotError, match="send failure at 4"):
        await replay(dataset_root, 0, failing)
    assert len(failing.sent) == 4 and not failing._open  # stopped at the error, closed without another action


def lerec_cli(*args):
    return subprocess.run([sys.executable, "-m", "lerec", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "LEREC_KEYBOARD": "off"}, stdin=subprocess.DEVNULL)


def test_cli_rollout_records_and_bad_policy_input_is_one_line(tmp_path):
    root = tmp_path / "rollout"
    done = lerec_cli("rollout", "--policy.type=scripted", "--policy.chunk_size=10", f"--dataset.root={root}",
                     "--dataset.episode_time_s=0.5", "--cameras={front: {type: synthetic, width: 64, height: 48}}",
                     "--dataset.rgb_encoder.vcodec=h264", "--dataset.rgb_encoder.preset=ultrafast")
    assert done.returncode == 0, done.stderr
    assert "inference async" in done.stderr
    assert len(rows(root)["action"]) == 15
    for flags, message in [
        ([], "a policy is needed: --policy.path"),
        (["--policy.path", str(tmp_path / "missing")], "missing: no such folder"),
        (["--policy.path", str(tmp_path)], "no installed policy type loads it"),
        (["--policy.type=scripted", "--policy.fail=boom"], "fail must be one of nan, shape, dtype"),
        (["--policy.type=scripted", "--strategy.type=highlight", "--strategy.ring_buffer_seconds=0"],
         "--strategy.ring_buffer_seconds=0: expected seconds > 0"),
        (["--policy.type=scripted", "--strategy.type=base"], "base needs --duration"),
    ]:
        bad = lerec_cli("rollout", f"--dataset.root={tmp_path / 'bad'}", *flags)
        assert bad.returncode == 2 and message in bad.stderr, bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "bad").exists()
    base = lerec_cli("rollout", "--policy.type=scripted", "--strategy.type=base", "--duration=0.3", "--display_data",
                     "--cameras={front: {type: synthetic, width: 64, height: 48}}")
    assert base.returncode == 0 and "--display_data is not supported yet here" in base.stderr, base.stderr
    assert "rollout: tick lateness" in base.stderr
    replayed = lerec_cli("replay", str(root), "--episode", "0", "--robot.type=synthetic")
    assert replayed.returncode == 0 and "15 actions" in replayed.stdout
    refused = lerec_cli("replay", str(root), "--episode", "0", "--robot.type=synthetic", "--robot.joints=2")
    assert refused.returncode == 2 and "takes actions" in refused.stderr


class LeaderTeleop(SyntheticTeleop):
    """The synthetic teleop with a motor: it records where it was told to go before each takeover."""

    def __init__(self):
        super().__init__(SyntheticTeleopConfig())
        self.followed = []

    async def follow(self, action):
        self.followed.append(np.asarray(action["action"]).copy())
        return True


async def test_pause_holds_the_robot_and_a_motorised_leader_meets_the_follower_before_a_takeover(dataset_root):
    leader, robot = LeaderTeleop(), LoggedRobot()

    async def steer(rollout):
        for at, event in ((5, rollout.controls.pause), (10, rollout.controls.resume),
                          (14, rollout.controls.take_over), (20, rollout.controls.hand_back)):
            while rollout.rows.tick < at:
                await anyio.sleep(0.002)
            event()

    await run(dataset_root, RolloutSettings("dagger", "sync", episode_time_s=1.0), robot=robot, teleop=leader,
              during=steer)
    data = rows(dataset_root)
    flags = data["intervention"].reshape(-1)
    sent_ticks = len(robot.sent)
    repeated = [i for i in range(1, 30) if (data["action"][i] == data["action"][i - 1]).all()]
    assert 0 < len(repeated) == 30 - sent_ticks  # a paused tick sends nothing and records the last action sent
    first_human = int(np.argmax(flags))
    assert len(leader.followed) == 1  # one takeover, the leader moved to the follower's last action first
    np.testing.assert_array_equal(leader.followed[0], np.float32(data["action"][first_human - 1]))


async def test_a_highlight_saves_the_seconds_before_the_key_and_what_follows_until_the_key_again(dataset_root,
                                                                                                 monkeypatch):
    asked = []  # the highlight loop's ticks are placed between the cameras' frame arrivals, as an episode's are

    def first_tick_of(sources, fps, now_ns):
        sources = list(sources)
        asked.append(sorted(src.key for src in sources))
        return tick_phase.first_tick_of(sources, fps, now_ns)

    monkeypatch.setattr(highlight, "first_tick_of", first_tick_of)

    async def keys(rollout):
        for at in (75, 100, 110):  # the third highlight is still live when the session ends: saved too
            while rollout.highlights.tick < at:
                await anyio.sleep(0.002)
            rollout.mark_highlight()

    settings = RolloutSettings("highlight", "async", duration_s=4.0, ring_buffer_seconds=1.0)
    episodes = await run(dataset_root, settings, during=keys, cameras={"front": small_camera(), "side": small_camera()})
    assert [e.episode_index for e in episodes] == [0, 1]
    assert asked == [["observation.images.front", "observation.images.side"]]  # once, for both streams
    meta = DatasetMeta.load(dataset_root)
    lengths = [row["length"] for row in meta.episodes]
    assert 30 + 20 <= lengths[0] <= 60 + 30  # at least the window before the key (a whole second), then live
    assert lengths[1] >= 10
    for e in range(2):
        for key in ("observation.images.front", "observation.images.side"):
            frames = episode_frames(dataset_root, key, e)
            assert len(frames) == lengths[e]  # every tick of the highlight, decoded from the kept packets
            assert barcodes(frames) == meta.episodes[e][f"lerec/{key}/camera_seq"]  # the frame each row recorded
    data = rows(dataset_root)
    step = data["action"] - data["observation.state"]
    assert (np.isclose(step, INCREMENT, atol=1e-5).all(axis=1) | np.isclose(step, 0, atol=1e-5).all(axis=1)).all()
    assert validate(dataset_root) == []


async def test_sentry_records_back_to_back_episodes_until_the_duration_and_reports_each(dataset_root):
    saved = []
    settings = RolloutSettings("sentry", None, episode_time_s=0.5, duration_s=3.0)
    async with Rollout.create(SyntheticRobotConfig(), ScriptedPolicyConfig(chunk_size=1), {"front": small_camera()},
                              settings, root=dataset_root, fps=30, rgb_encoder=FAST_H264) as rollout:
        episodes = await rollout.episodes(on_saved=saved.append)  # where a background upload plugs in
    # As many as the saves leave time for. An episode returns after its last tick, 14 of its 15 periods in:
    # with saves of a few ms, 6 take ~2.9 s and a 7th, cut short, fits; an 8th cannot (7 x 14/30 s > 3 s).
    assert saved == episodes and 2 <= len(episodes) <= 7
    assert all(e.inference.mode == "sync" for e in episodes)  # one action per call: sync by default
    lengths = [e.recorded.length for e in episodes]
    assert lengths == [row["length"] for row in DatasetMeta.load(dataset_root).episodes]
    assert lengths[:-1] == [15] * (len(lengths) - 1)  # the last one cut by the duration:
    assert sum(lengths) <= 90 + len(lengths) - 1  # (each episode's last period overlaps the next one's start)
    step = rows(dataset_root)["action"] - rows(dataset_root)["observation.state"]
    assert np.isclose(step, INCREMENT, atol=1e-5).all()


async def test_base_drives_the_robot_for_the_duration_and_records_nothing(tmp_path):
    robot = LoggedRobot()
    settings = RolloutSettings("base", "async", duration_s=0.5)
    async with Rollout.create(robot, ScriptedPolicyConfig(chunk_size=5), {"front": small_camera()}, settings,
                              fps=30) as rollout:
        episodes = await rollout.episodes()
    assert len(robot.sent) == 15 and episodes[0].recorded is None and episodes[0].inference.ticks == 15
    assert not any(tmp_path.iterdir())


def test_ctrl_c_stops_a_replay_at_once(tmp_path):
    root = tmp_path / "slow"
    done = lerec_cli("rollout", "--policy.type=scripted", f"--dataset.root={root}", "--dataset.episode_time_s=4",
                     "--cameras={front: {type: synthetic, width: 64, height: 48}}",
                     "--dataset.rgb_encoder.vcodec=h264", "--dataset.rgb_encoder.preset=ultrafast")
    assert done.returncode == 0, done.stderr
    replay_run = subprocess.Popen([sys.executable, "-m", "lerec", "replay", str(root), "--episode", "0",
                                   "--robot.type=synthetic"], stderr=subprocess.PIPE, text=True,
                                  stdin=subprocess.DEVNULL, env={**os.environ, "LEREC_KEYBOARD": "off"})
    try:
        assert "replaying episode 0: 120 actions" in replay_run.stderr.readline()  # the first action was sent
        replay_run.send_signal(signal.SIGINT)
        rest = replay_run.stderr.read()
        assert replay_run.wait(timeout=60) == 130
    finally:
        replay_run.kill()
    assert re.search(r"interrupted: stopped after \d+ of 120 actions; nothing more sent", rest), rest
