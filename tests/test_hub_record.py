"""`lerec record --dataset.push_to_hub=true`: the session's episodes published when it ends, closed files uploaded
while it records (never an episode in meta/ without its files, at any commit), and Ctrl-C during the last upload
leaving the dataset complete with the command that finishes the upload."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from hub_fixtures import closed_port, hub, hub_env, lerec, published  # noqa: F401
from lerec.dataset.spec import format as fmt
from lerec.dataset.store.metadata import DatasetMeta

REPO = "lerec-org/session"
FAST = ["--dataset.rgb_encoder.vcodec=h264", "--dataset.rgb_encoder.preset=ultrafast",
        "--cameras={front: {type: synthetic, width: 64, height: 48, fps: 30}}"]


def record(root: Path, env: dict, *flags: str, episodes: int = 2, seconds: float = 0.5):
    return lerec(["record", f"--dataset.root={root}", f"--dataset.num_episodes={episodes}",
                  f"--dataset.episode_time_s={seconds}", f"--dataset.repo_id={REPO}", *FAST, *flags], env)


def assert_published(hub, root: Path, revision: str = "main") -> None:
    remote, local = hub.state.files(REPO, revision), published(root)
    assert {p: remote[p] for p in local} == local
    assert set(remote) == set(local) | {"README.md", ".gitattributes"}


def assert_no_partial_episode_ever_visible(hub, tmp_path: Path) -> None:
    """At every commit of the repo, each episode meta/ names has its data and video files there, whole."""
    repo = hub.state.repos[REPO]
    for n, (oid, commit) in enumerate(repo["commits"].items()):
        if "meta/info.json" not in commit["files"]:
            assert all(p.split("/")[0] in (fmt.DATA, fmt.VIDEOS_DIR, ".gitattributes") for p in commit["files"])
            continue
        snapshot = tmp_path / f"commit-{n}"
        for path in commit["files"]:
            (snapshot / path).parent.mkdir(parents=True, exist_ok=True)
            (snapshot / path).write_bytes(hub.state.files(REPO, oid)[path])
        meta = DatasetMeta.load(snapshot)
        for row in meta.episodes:
            assert meta.data_file(row).is_file()
            assert all(meta.video_file(key, row).is_file() for key in meta.video_keys)
        assert lerec(["validate", snapshot], {**os.environ, "HF_HUB_OFFLINE": "1"}).returncode == 0


def test_record_pushes_after_the_session(tmp_path, hub, hub_env):
    root = tmp_path / "ds"
    done = record(root, hub_env, "--dataset.push_to_hub=true", "--dataset.tags=[so101, kitchen]",
                  "--dataset.private=true")
    assert done.returncode == 0, done.stderr
    assert f"saved 2 episode(s) to {root}" in done.stdout and "tagged main as v3.0" in done.stdout
    assert_published(hub, root)
    repo = hub.state.repos[REPO]
    assert repo["private"] and repo["tags"]["v3.0"] == repo["branches"]["main"]
    card = hub.state.files(REPO)["README.md"].decode()
    assert yaml.safe_load(card.split("---\n")[1])["tags"] == ["LeRobot", "so101", "kitchen"]
    assert len(hub.state.commits) == 1


def test_record_without_push_to_hub_never_reaches_the_hub(tmp_path, hub, hub_env):
    done = record(tmp_path / "ds", dict(hub_env, HF_ENDPOINT="http://127.0.0.1:9"))
    assert done.returncode == 0, done.stderr
    assert hub.state.commits == []


def test_push_flags_are_checked_before_recording(tmp_path, hub_env):
    root = tmp_path / "ds"
    cases = [(["--dataset.push_every=2"], "--dataset.push_every and --dataset.push_every_s need "
                                          "--dataset.push_to_hub=true"),
             (["--dataset.push_to_hub=true", "--dataset.repo_id=local/x"], "is a local name"),
             (["--dataset.push_to_hub=true", "--dataset.repo_id=nope"], "--dataset.repo_id='nope': a Hub repo id"),
             (["--dataset.push_to_hub=true", "--dataset.push_every=-1"], "must be >= 0")]
    for flags, message in cases:
        done = record(root, hub_env, *flags)
        assert done.returncode == 2 and message in done.stderr.strip().splitlines()[-1], (flags, done.stderr)
    env = {k: v for k, v in hub_env.items() if k != "HF_TOKEN"}
    done = record(root, env, "--dataset.push_to_hub=true")
    assert done.returncode == 2 and "no Hugging Face token" in done.stderr
    assert not root.exists()


def test_closed_files_are_uploaded_while_recording(tmp_path, hub, hub_env):
    root = tmp_path / "ds"
    assert record(root, hub_env, episodes=1).returncode == 0
    info = json.loads((root / fmt.INFO_PATH).read_text())
    info["data_files_size_in_mb"] = info["video_files_size_in_mb"] = 0  # every episode starts new files
    (root / fmt.INFO_PATH).write_text(json.dumps(info, indent=4))
    done = record(root, hub_env, "--resume", "--dataset.push_to_hub=true", "--dataset.push_every=1", episodes=3,
                  seconds=1.0)
    assert done.returncode == 0, done.stderr
    background = [paths for repo, paths in hub.state.commits[:-1] if repo == REPO]
    assert background and "push: " in done.stderr  # at least the first one: it runs to its end
    for paths in background:  # closed data and video files only: the episodes 0-2 of 4, never the last one's
        assert paths and all(p.split("/")[0] in (fmt.DATA, fmt.VIDEOS_DIR) for p in paths)
        assert not any("file-003" in p for p in paths)
    sent_before = {p for paths in background for p in paths}
    assert not sent_before & set(hub.state.commits[-1][1])  # the last upload sent only the rest
    assert_published(hub, root)
    assert_no_partial_episode_ever_visible(hub, tmp_path)


def test_ctrl_c_during_the_last_upload_keeps_the_dataset_and_says_how_to_resume(tmp_path, hub, hub_env):
    root = tmp_path / "ds"
    hub.state.hold_uploads_after = 0  # the network stalls
    rec = subprocess.Popen([sys.executable, "-m", "lerec", "record", f"--dataset.root={root}",
                            "--dataset.num_episodes=1", "--dataset.episode_time_s=0.5", f"--dataset.repo_id={REPO}",
                            "--dataset.push_to_hub=true", *FAST], env=hub_env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while hub.state.lfs_requests == 0 and time.monotonic() < deadline and rec.poll() is None:
        time.sleep(0.05)
    assert hub.state.lfs_requests > 0, rec.communicate()[1]
    rec.send_signal(signal.SIGINT)
    out, err = rec.communicate(timeout=120)
    assert rec.returncode == 130, err
    last = err.strip().splitlines()[-1]
    resume = f"lerec push {root} --repo-id {REPO}"
    assert last.startswith("lerec record: interrupted: upload stopped: the episodes are saved in") and resume in last
    assert set(hub.state.files(REPO)) == {".gitattributes"}  # nothing half-published
    assert lerec(["validate", root], hub_env).returncode == 0  # the local dataset is complete
    hub.state.hold_uploads_after = None
    hub.state.release.set()
    done = lerec(resume.split()[1:], hub_env)
    assert done.returncode == 0, done.stderr
    assert_published(hub, root)


def test_a_network_that_fails_only_delays_the_upload(tmp_path, hub_env):
    root = tmp_path / "ds"
    down = dict(hub_env, HF_ENDPOINT=f"http://127.0.0.1:{closed_port()}")
    done = record(root, down, "--dataset.push_to_hub=true", "--dataset.push_every=1")
    assert done.returncode == 1
    assert f"saved 2 episode(s)" not in done.stdout  # the command failed: it says so, once, at the end
    assert f"push: warning: upload to {REPO} failed" in done.stderr and "recording goes on" in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last == (f"lerec record: error: the upload failed: the episodes are saved in {root}; "
                    f"`lerec push {root} --repo-id {REPO}` uploads them")
    assert DatasetMeta.load(root).info["total_episodes"] == 2  # the recording itself is whole
    assert lerec(["validate", root], hub_env).returncode == 0


def test_a_sentry_rollout_uploads_while_it_records_and_at_its_end(tmp_path, hub, hub_env):
    """lerec rollout's sentry strategy: back-to-back episodes, uploaded through the same session uploads."""
    root = tmp_path / "sentry"
    done = lerec(["rollout", "--policy.type=scripted", "--strategy.type=sentry", "--duration=5",
                  "--dataset.episode_time_s=1", f"--dataset.root={root}", f"--dataset.repo_id={REPO}", *FAST,
                  "--dataset.push_to_hub=true", "--dataset.push_every=1"], hub_env)
    assert done.returncode == 0, done.stderr
    assert len(DatasetMeta.load(root).episodes) >= 2
    assert "push: " in done.stderr  # a background upload ran while the rollout recorded
    assert_published(hub, root)
    assert_no_partial_episode_ever_visible(hub, tmp_path)
