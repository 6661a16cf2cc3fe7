"""lerec-lerobot against a fake arm behind LeRobot's real Robot/Teleoperator classes, config registry and factories:
``lerec record`` through the bridge, then LeRobot's own LeRobotDataset reads back what the device produced."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REASON = "lerec-lerobot needs LeRobot 0.6 (Python >= 3.12); run scripts/test_lerobot_bridge.sh"
pytest.importorskip("lerobot", reason=REASON)
pytest.importorskip("lerec_lerobot", reason=REASON)

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # lerobot_fake_device, importable by name as LeRobot's factory needs

import lerobot_fake_device as fake  # noqa: E402
from lerec.errors import LerecError  # noqa: E402
from lerec.robots.registry import build_config  # noqa: E402
from lerobot.utils.feature_utils import hw_to_dataset_features  # noqa: E402

FPS = 30
NAMES = [f"{m}.pos" for m in fake.MOTORS]
# `lerec record` as a user whose LeRobot robot lives in their own module: import it, then run lerec's CLI.
LEREC = [sys.executable, "-c", "import sys, lerobot_fake_device; from lerec.cli import main; sys.exit(main())"]


def run_lerec(args: list[str], tmp_path: Path, timeout_s: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
           "HF_LEROBOT_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "LEREC_KEYBOARD": "off"}
    return subprocess.run(LEREC + args, capture_output=True, text=True, timeout=timeout_s, env=env,
                          stdin=subprocess.DEVNULL)


def record(tmp_path: Path, root: Path, log: Path, *robot_flags: str, episodes: int = 2) -> subprocess.CompletedProcess:
    return run_lerec([
        "record", f"--dataset.root={root}", "--dataset.repo_id=lerec/fake_arm", f"--dataset.fps={FPS}",
        f"--dataset.num_episodes={episodes}", "--dataset.episode_time_s=0.5", "--dataset.reset_time_s=0",
        "--dataset.single_task=pick the cube",
        "--cameras={front: {type: synthetic, width: 64, height: 48}}",
        "--dataset.rgb_encoder.vcodec=h264", "--dataset.rgb_encoder.preset=ultrafast",
        "--robot.type=lerec_fake_follower", "--robot.id=007", f"--robot.log_path={log}", *robot_flags,
        "--teleop.type=lerec_fake_leader", "--teleop.id=leader", f"--teleop.log_path={log}",
    ], tmp_path)


def events(log: Path, kind: str) -> list[dict]:
    return [e for e in map(json.loads, log.read_text().splitlines()) if e["event"] == kind]


def vectors(records: list[dict]) -> np.ndarray:
    return np.asarray([[r["values"][name] for name in NAMES] for r in records], dtype=np.float32)


def test_record_through_the_bridge_loads_in_lerobot_with_the_devices_values(tmp_path):
    root, log = tmp_path / "fake_arm", tmp_path / "device.jsonl"
    done = record(tmp_path, root, log)
    assert done.returncode == 0, done.stderr

    # The features are those lerobot-record writes for this robot (hw_to_dataset_features), names in motor order.
    info = json.loads((root / "meta/info.json").read_text())
    assert info["robot_type"] == "lerec_fake_follower"
    hw = {f"{m}.pos": float for m in fake.MOTORS}
    lerobot_record_features = {**hw_to_dataset_features(hw, "observation"), **hw_to_dataset_features(hw, "action")}
    assert set(lerobot_record_features) == {"observation.state", "action"}
    for key, want in lerobot_record_features.items():
        assert info["features"][key]["dtype"] == want["dtype"] == "float32"
        assert list(info["features"][key]["shape"]) == list(want["shape"])
        assert info["features"][key]["names"] == want["names"] == NAMES

    observed, led, sent = events(log, "observation"), events(log, "teleop_action"), events(log, "action")
    assert len(observed) == len(led) == len(sent) > 0
    assert [e["values"] for e in sent] == [e["values"] for e in led]  # the bridge sent each action unchanged
    assert len(events(log, "connect")) == len(events(log, "disconnect")) == 1
    assert events(log, "connect")[0]["id"] == "007"  # --robot.id=007 stays text, as LeRobot's `id: str`

    os.environ["HF_HUB_OFFLINE"] = "1"
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    ds = LeRobotDataset("lerec/fake_arm", root=root)
    assert ds.num_episodes == 2
    assert len(ds) == len(observed)
    state = np.stack([ds[i]["observation.state"].numpy() for i in range(len(ds))])
    action = np.stack([ds[i]["action"].numpy() for i in range(len(ds))])
    np.testing.assert_array_equal(state, vectors(observed))
    np.testing.assert_array_equal(action, vectors(led))
    assert ds[0]["observation.images.front"].shape == (3, 48, 64)
    assert ds[0]["task"] == "pick the cube"
    # The fake follower's state is its last action + 100: the bridge kept LeRobot's read -> act -> send order.
    first = [int(ds[i]["episode_index"]) != int(ds[i - 1]["episode_index"]) if i else True for i in range(len(ds))]
    for i in range(1, len(ds)):
        if not first[i]:
            np.testing.assert_array_equal(state[i], action[i - 1] + 100)


def test_a_robot_error_ends_the_session_naming_the_robot_and_keeps_saved_episodes(tmp_path):
    root, log = tmp_path / "fake_arm", tmp_path / "device.jsonl"
    done = record(tmp_path, root, log, "--robot.fail_at=20", episodes=3)  # 15 ticks an episode: fails in the 2nd
    assert done.returncode != 0
    assert "robot 'lerec_fake_follower' (id '007')" in done.stderr
    assert "get_observation: OSError: [Errno 5] fake bus error at read 20" in done.stderr
    assert len(events(log, "disconnect")) == 1

    os.environ["HF_HUB_OFFLINE"] = "1"
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    ds = LeRobotDataset("lerec/fake_arm", root=root)
    assert ds.num_episodes == 1
    np.testing.assert_array_equal(np.stack([ds[i]["action"].numpy() for i in range(len(ds))]),
                                  vectors(events(log, "teleop_action")[: len(ds)]))


def test_lerec_robots_lists_lerobots_types(tmp_path):
    done = run_lerec(["robots"], tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {tuple(line.split()[:3]) for line in done.stdout.splitlines()}
    for kind, name in [("robot", "so100_follower"), ("robot", "so101_follower"), ("robot", "koch_follower"),
                       ("robot", "lekiwi"), ("robot", "reachy2"), ("robot", "openarm_follower"),
                       ("robot", "lerec_fake_follower"), ("teleop", "so101_leader"), ("teleop", "gamepad"),
                       ("teleop", "keyboard"), ("teleop", "phone"), ("teleop", "lerec_fake_leader")]:
        assert (kind, name, "lerec-lerobot") in rows, done.stdout
    assert ("robot", "synthetic", "lerec") in rows


def test_options_are_lerobots_own_decoded_by_draccus():
    config = build_config("robot", "so101_follower", {"port": "/dev/ttyACM0", "id": "007", "max_relative_target": 5})
    from lerec_lerobot.options import lerobot_config

    arm = lerobot_config(config)
    assert type(arm).__name__ == "SOFollowerRobotConfig"
    assert (arm.port, arm.id, arm.max_relative_target, arm.cameras) == ("/dev/ttyACM0", "007", 5.0, {})
    assert lerobot_config(build_config("robot", "lekiwi", {})).cameras == {}  # LeKiwi's default cameras dropped
    with pytest.raises(LerecError, match=r"so101_follower.*no option 'bogus'.*port"):
        build_config("robot", "so101_follower", {"port": "/dev/ttyACM0", "bogus": 1})
    with pytest.raises(LerecError, match=r"cameras: the robot's cameras are lerec cameras: give them with --cameras"):
        build_config("robot", "so101_follower", {"port": "/dev/ttyACM0",
                                                 "cameras": {"front": {"type": "opencv", "index_or_path": 0}}})
    pair = lerobot_config(build_config("robot", "bi_so_follower", {"id": "bi", "left_arm_config": {"port": "/dev/a"},
                                                                  "right_arm_config": {"port": "/dev/b"}}))
    assert (pair.left_arm_config.port, pair.right_arm_config.port, pair.id) == ("/dev/a", "/dev/b", "bi")
    with pytest.raises(LerecError, match=r"option left_arm_config.cameras: the robot's cameras are lerec cameras"):
        build_config("robot", "bi_so_follower", {"left_arm_config": {"port": "/dev/a", "cameras": {"top": {
            "type": "opencv", "index_or_path": 0, "width": 640, "height": 480, "fps": 30}}},
            "right_arm_config": {"port": "/dev/b"}})
    with pytest.raises(LerecError, match=r"so101_follower.*SOFollowerRobotConfig.*port"):
        build_config("robot", "so101_follower", {})  # LeRobot's required option, named


def test_lerobot_is_imported_only_when_robots_are_listed_or_built(tmp_path):
    # lerec loads every plugin for every command; importing LeRobot (and torch) costs seconds.
    script = ("import sys; from lerec.cli import main; code = main(['cameras']); "
              "assert 'lerobot' not in sys.modules and 'torch' not in sys.modules, 'LeRobot imported'; sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_broken_lerobot_leaves_lerecs_own_robots_usable(tmp_path):
    script = ("import sys; sys.modules['lerobot'] = None; from lerec.cli import main; sys.exit(main(['robots']))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "lerec-lerobot: LeRobot cannot be imported (ModuleNotFoundError" in done.stderr
    assert {tuple(line.split()[:2]) for line in done.stdout.splitlines()} >= {("robot", "synthetic"),
                                                                            ("teleop", "synthetic")}
    assert "lerec-lerobot" not in done.stdout


async def test_python_api_records_a_lerobot_device_object(tmp_path):
    from lerec import Recorder, SyntheticCameraConfig
    from lerec_lerobot import LeRobotRobot, LeRobotTeleop
    from lerobot.cameras.opencv import OpenCVCameraConfig

    log = tmp_path / "device.jsonl"
    robot = LeRobotRobot(fake.FakeFollowerConfig(id="py", calibration_dir=tmp_path / "cal", log_path=str(log)))
    teleop = LeRobotTeleop(fake.FakeLeaderConfig(id="lead", calibration_dir=tmp_path / "cal"))
    assert robot.observation_features == {"observation.state": {"dtype": "float32", "shape": [6], "names": NAMES}}
    assert teleop.action_features == robot.action_features
    async with Recorder.create(tmp_path / "ds", FPS, {"front": SyntheticCameraConfig(width=64, height=48)},
                               robot=robot, teleop=teleop) as rec:
        report = await rec.record_episode("pick the cube", duration_s=0.2)
    assert report.length == len(events(log, "observation")) > 0
    assert not robot.device.is_connected and not teleop.device.is_connected
    await robot.close()  # LeRobot raises on a second disconnect; the bridge does not call it
    assert len(events(log, "disconnect")) == 1
    info = json.loads((tmp_path / "ds/meta/info.json").read_text())
    assert info["robot_type"] == "lerec_fake_follower"
    with pytest.raises(LerecError, match=r"robot 'lerec_fake_follower'.*LeRobot cameras front.*--cameras"):
        LeRobotRobot(fake.FakeFollowerConfig(calibration_dir=tmp_path / "cal", cameras={
            "front": OpenCVCameraConfig(index_or_path=0, width=640, height=480, fps=30)}))
