"""A real LeRobot policy on the synthetic robot: a small ACT built from its config with random weights, saved
with ``save_pretrained`` (nothing downloaded), loaded back by ``--policy.path``; the dataset it records, with
human corrections, loads in LeRobot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REASON = "lerec-lerobot needs LeRobot 0.6 (Python >= 3.12); run scripts/test_lerobot_bridge.sh"
pytest.importorskip("lerobot", reason=REASON)
pytest.importorskip("lerec_lerobot", reason=REASON)

import pyarrow.parquet as pq  # noqa: E402
import torch  # noqa: E402
from lerobot.configs.types import FeatureType, PolicyFeature  # noqa: E402
from lerobot.datasets.lerobot_dataset import LeRobotDataset  # noqa: E402
from lerobot.policies import make_pre_post_processors  # noqa: E402
from lerobot.policies.act.configuration_act import ACTConfig  # noqa: E402
from lerobot.policies.act.modeling_act import ACTPolicy  # noqa: E402

JOINTS, H, W, CHUNK = 6, 48, 64, 10
CAMERAS = f"{{front: {{type: synthetic, width: {W}, height: {H}}}}}"


@pytest.fixture(scope="module")
def act_folder(tmp_path_factory) -> Path:
    """A tiny ACT with random weights and identity normalization, as ``save_pretrained`` writes it."""
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("policy") / "act"
    cfg = ACTConfig(
        input_features={"observation.state": PolicyFeature(FeatureType.STATE, (JOINTS,)),
                        "observation.images.front": PolicyFeature(FeatureType.VISUAL, (3, H, W))},
        output_features={"action": PolicyFeature(FeatureType.ACTION, (JOINTS,))},
        chunk_size=CHUNK, n_action_steps=CHUNK, dim_model=32, n_heads=2, dim_feedforward=64, n_encoder_layers=1,
        n_decoder_layers=1, use_vae=False, pretrained_backbone_weights=None, device="cpu")
    policy = ACTPolicy(cfg)
    stats = {"observation.state": {"mean": np.zeros(JOINTS), "std": np.ones(JOINTS)},
             "action": {"mean": np.zeros(JOINTS), "std": np.ones(JOINTS)},
             "observation.images.front": {"mean": np.full((3, 1, 1), 0.5), "std": np.full((3, 1, 1), 0.25)}}
    pre, post = make_pre_post_processors(cfg, dataset_stats=stats)
    policy.save_pretrained(folder)
    pre.save_pretrained(folder)
    post.save_pretrained(folder)
    return folder


def lerec(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_LEROBOT_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "LEREC_KEYBOARD": "off"}
    return subprocess.run([sys.executable, "-m", "lerec", *args], capture_output=True, text=True, timeout=600,
                          env=env, stdin=subprocess.DEVNULL)


def test_an_act_policy_drives_the_synthetic_robot_and_leRobot_loads_the_rollout(act_folder, tmp_path):
    root = tmp_path / "rollout"
    done = lerec("rollout", f"--policy.path={act_folder}", "--strategy.type=dagger", f"--cameras={CAMERAS}",
                 f"--dataset.root={root}", "--dataset.repo_id=lerec/rollout_act", "--dataset.episode_time_s=1",
                 "--dataset.num_episodes=1", "--dataset.rgb_encoder.vcodec=h264",
                 "--dataset.rgb_encoder.preset=ultrafast", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "inference async" in done.stderr
    table = pq.read_table(next((root / "data").glob("chunk-*/file-*.parquet"))).to_pydict()
    assert len(table["action"]) == 30
    actions = np.asarray(table["action"], dtype=np.float32)
    assert np.isfinite(actions).all() and actions.std() > 0  # the model's own (random) actions, not a constant
    assert table["intervention"] == [False] * 30  # nobody took over (shape (1,) is a scalar column, as LeRobot writes it)
    np.testing.assert_array_equal(actions, np.asarray(table["policy_action"], dtype=np.float32))
    dataset = LeRobotDataset("lerec/rollout_act", root=root)
    assert len(dataset) == 30 and dataset.features["intervention"]["dtype"] == "bool"
    item = dataset[29]
    assert item["intervention"].numel() == 1 and item["observation.images.front"].shape == (3, H, W)
    np.testing.assert_allclose(item["action"].numpy(), actions[29], atol=1e-6)


def test_a_policy_folder_that_does_not_fit_or_load_is_one_line(act_folder, tmp_path):
    wrong = lerec("rollout", f"--policy.path={act_folder}", "--robot.type=synthetic", "--robot.joints=4",
                  f"--cameras={CAMERAS}", f"--dataset.root={tmp_path / 'wrong'}", tmp_path=tmp_path)
    assert wrong.returncode == 2 and "needs 'observation.state' of shape [6]" in wrong.stderr, wrong.stderr
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "config.json").write_text("{not json")
    broken = lerec("rollout", f"--policy.path={corrupt}", f"--dataset.root={tmp_path / 'broken'}", tmp_path=tmp_path)
    assert broken.returncode == 2 and "not a loadable LeRobot policy" in broken.stderr, broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "wrong").exists() and not (tmp_path / "broken").exists()
