"""`lerec push` against a local Hub: every file byte for byte, the card and the tag, nothing twice, a killed push
resumed, and bad input refused in one line before anything is uploaded."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from dataset_fixtures import drop_checksums
from hub_fixtures import (SECRET, add_scratch, closed_port, hub, hub_env, lerec, published,  # noqa: F401
                          tree_digest)

REPO = "lerec-org/pick"


def test_push_publishes_the_dataset_byte_for_byte_with_card_and_tag(recorded, copy_of, hub, hub_env):
    root = copy_of(recorded)
    add_scratch(root)
    done = lerec(["push", root, "--repo-id", REPO, "--tags", "so101,pick"], hub_env)
    assert done.returncode == 0, done.stderr
    assert "tagged main as v3.0" in done.stdout
    remote = hub.state.files(REPO, "main")
    local = published(root)
    assert {p: remote[p] for p in local} == local  # every file, byte for byte
    assert set(remote) == set(local) | {"README.md", ".gitattributes"}  # and nothing of lerec's scratch
    assert not any(p.startswith((".lerec", "images", ".cache")) or ".lerec-" in p for p in remote)
    card = remote["README.md"].decode()
    header = yaml.safe_load(card.split("---\n")[1])
    assert header["tags"] == ["LeRobot", "so101", "pick"]
    assert header["task_categories"] == ["robotics"]
    assert header["configs"] == [{"config_name": "default", "data_files": "data/*/*.parquet"}]
    assert remote["meta/info.json"].decode().strip() in card
    repo = hub.state.repos[REPO]
    assert repo["tags"]["v3.0"] == repo["branches"]["main"]
    assert not repo["private"]
    assert hub.state.commits[-1][0] == REPO and len(hub.state.commits) == 1  # one commit: data with its metadata


def test_pushing_twice_uploads_nothing(recorded, copy_of, hub, hub_env):
    root = copy_of(recorded)
    assert lerec(["push", root, "--repo-id", REPO, "--private"], hub_env).returncode == 0
    uploads, commits, head = len(hub.state.lfs_uploads), len(hub.state.commits), dict(hub.state.repos[REPO]["branches"])
    again = lerec(["push", root, "--repo-id", REPO, "--private"], hub_env)
    assert again.returncode == 0, again.stderr
    assert "up to date: nothing uploaded" in again.stdout
    assert (len(hub.state.lfs_uploads), len(hub.state.commits)) == (uploads, commits)
    assert hub.state.repos[REPO]["branches"] == head and hub.state.repos[REPO]["private"]


def test_a_changed_file_is_all_a_second_push_sends(recorded, copy_of, hub, hub_env):
    root = copy_of(recorded)
    assert lerec(["push", root, "--repo-id", REPO], hub_env).returncode == 0
    info = root / "meta/info.json"
    info.write_text(info.read_text().replace('"robot_type"', '"robot_type"', 1) + "\n")
    again = lerec(["push", root, "--repo-id", REPO, "--tags", "new"], hub_env)
    assert again.returncode == 0, again.stderr
    assert hub.state.commits[-1][1] == ["meta/info.json", "README.md"]
    assert hub.state.files(REPO)["meta/info.json"] == info.read_bytes()


def test_a_killed_push_run_again_sends_only_what_had_not_arrived(recorded, copy_of, hub, hub_env):
    root = copy_of(recorded)
    hub.state.hold_uploads_after = 2  # two LFS files arrive, then the network stalls
    push = subprocess.Popen([sys.executable, "-m", "lerec", "push", str(root), "--repo-id", REPO], env=hub_env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while (hub.state.lfs_requests <= 2 or len(hub.state.lfs_uploads) < 2) and time.monotonic() < deadline \
            and push.poll() is None:
        time.sleep(0.05)
    assert hub.state.lfs_requests > 2 and len(hub.state.lfs_uploads) == 2
    os.kill(push.pid, signal.SIGKILL)
    push.wait(30)
    assert set(hub.state.files(REPO)) == {".gitattributes"}  # nothing visible: no episode without its files
    first = list(hub.state.lfs_uploads)
    hub.state.hold_uploads_after = None
    hub.state.release.set()
    again = lerec(["push", root, "--repo-id", REPO], hub_env)
    assert again.returncode == 0, again.stderr
    second = hub.state.lfs_uploads[len(first):]
    lfs_objects = {hashlib.sha256(content).hexdigest() for path, content in published(root).items()
                   if path.endswith((".parquet", ".mp4"))}
    assert set(second) == lfs_objects - set(first) and len(second) == len(set(second))  # only what was missing
    remote, local = hub.state.files(REPO), published(root)
    assert {p: remote[p] for p in local} == local


def test_content_two_files_share_is_uploaded_once(recorded, copy_of, hub, hub_env):
    root = copy_of(recorded)
    videos = sorted((root / "videos").rglob("*.mp4"))
    shutil.copyfile(videos[0], videos[1])  # two cameras that saw the same thing (their checksums then go, as
    drop_checksums(root)  # LeRobot drops them): alike only by chance in a recording
    local = published(root)
    lfs_files = {path: hashlib.sha256(content).hexdigest() for path, content in local.items()
                 if path.endswith((".parquet", ".mp4"))}
    assert len(set(lfs_files.values())) < len(lfs_files)
    done = lerec(["push", root, "--repo-id", REPO], hub_env)
    assert done.returncode == 0, done.stderr
    assert sorted(hub.state.lfs_uploads) == sorted(set(lfs_files.values()))
    remote = hub.state.files(REPO)
    assert {p: remote[p] for p in lfs_files} == {p: local[p] for p in lfs_files}


def test_push_to_a_new_branch_tags_it(recorded, copy_of, hub, hub_env):
    root = copy_of(recorded)
    done = lerec(["push", root, "--repo-id", REPO, "--branch", "session-2"], hub_env)
    assert done.returncode == 0, done.stderr
    repo = hub.state.repos[REPO]
    assert repo["tags"]["v3.0"] == repo["branches"]["session-2"] != repo["branches"]["main"]
    assert set(hub.state.files(REPO, "main")) == {".gitattributes"}


def _one_error(done, command: str = "push") -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"lerec {command}: error: "), done.stderr
    return lines[0]


@pytest.mark.parametrize("repo_id", ["pick", "a/b/c", "-org/x", "org/x y", "org/.."])
def test_a_repo_id_that_is_not_org_name_is_refused(recorded, hub, hub_env, repo_id):
    before = tree_digest(recorded)
    done = lerec(["push", recorded, f"--repo-id={repo_id}"], hub_env)
    assert done.returncode == 2
    assert f"--repo-id={repo_id!r}" in _one_error(done) and "ORG/NAME" in done.stderr
    assert tree_digest(recorded) == before and hub.state.commits == []


def test_no_token_is_refused_before_anything_is_sent(recorded, hub, hub_env):
    before = tree_digest(recorded)
    env = {k: v for k, v in hub_env.items() if k != "HF_TOKEN"}
    done = lerec(["push", recorded, "--repo-id", REPO], env)
    assert done.returncode == 2
    assert "no Hugging Face token" in _one_error(done)
    assert tree_digest(recorded) == before and REPO not in hub.state.repos


def test_a_refused_token_is_one_line(recorded, hub, hub_env):
    done = lerec(["push", recorded, "--repo-id", REPO], dict(hub_env, HF_TOKEN="hf_wrong"))
    assert done.returncode == 1
    assert "refused the token (401)" in _one_error(done)
    assert REPO not in hub.state.repos


def test_a_private_repo_of_someone_else_is_refused(recorded, hub, hub_env):
    before = tree_digest(recorded)
    done = lerec(["push", recorded, "--repo-id", SECRET], hub_env)
    assert done.returncode == 1
    assert f"{SECRET}: this token has no rights to write to it (403 Forbidden)" in _one_error(done)
    assert set(hub.state.files(SECRET)) == {".gitattributes"} and hub.state.lfs_uploads == []
    info = lerec(["info", SECRET], hub_env)
    assert info.returncode == 1
    assert "repository not found, or private and this token cannot read it" in _one_error(info, "info")
    assert tree_digest(recorded) == before


def test_an_endpoint_that_does_not_answer_is_one_line(recorded, hub_env):
    before = tree_digest(recorded)
    endpoint = f"http://127.0.0.1:{closed_port()}"
    done = lerec(["push", recorded, "--repo-id", REPO], dict(hub_env, HF_ENDPOINT=endpoint))
    assert done.returncode == 1
    assert f"{endpoint} does not answer" in _one_error(done)
    assert tree_digest(recorded) == before


def test_push_of_a_folder_that_is_no_dataset_is_refused(tmp_path, hub, hub_env):
    done = lerec(["push", tmp_path / "missing", "--repo-id", REPO], hub_env)
    assert done.returncode == 1 and "does not exist" in _one_error(done)
    assert REPO not in hub.state.repos


def test_a_save_a_crash_left_half_done_is_not_published(recorded, copy_of, hub, hub_env):
    root = copy_of(recorded)
    info = json.loads((root / "meta/info.json").read_text())
    info.update(total_episodes=2, total_frames=40)  # the third episode's files are there, its commit is not
    (root / "meta/info.json").write_text(json.dumps(info, indent=4))
    done = lerec(["push", root, "--repo-id", REPO], hub_env)
    assert done.returncode == 1
    line = _one_error(done)
    assert "an interrupted save left meta/episodes holds 1 episode(s) beyond" in line
    assert "`lerec record --resume` repairs it, then push" in line and REPO not in hub.state.repos


def test_ctrl_c_twice_stops_a_push_at_once_and_says_how_to_finish(recorded, copy_of, hub, hub_env):
    root = copy_of(recorded)
    before = tree_digest(root)
    hub.state.hold_uploads_after = 0  # every upload stalls
    push = subprocess.Popen([sys.executable, "-m", "lerec", "push", str(root), "--repo-id", REPO], env=hub_env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while hub.state.lfs_requests == 0 and time.monotonic() < deadline and push.poll() is None:
        time.sleep(0.05)
    push.send_signal(signal.SIGINT)  # the files under way would finish first (they stall here) ...
    time.sleep(1)
    push.send_signal(signal.SIGINT)  # ... and again: at once
    out, err = push.communicate(timeout=60)  # not held until the stalled uploads give up
    assert push.returncode == 130
    assert err.strip().splitlines()[-1] == (f"lerec push: interrupted: the upload stopped; {root} is unchanged. What "
                                            f"arrived is kept: `lerec push {root} --repo-id {REPO}` sends the rest")
    assert tree_digest(root) == {**before, ".lerec/push-hashes.json": tree_digest(root)[".lerec/push-hashes.json"]}
    assert set(hub.state.files(REPO)) == {".gitattributes"}


def test_a_network_gone_silent_ends_the_push_with_one_line_not_a_hang(recorded, copy_of, hub, hub_env):
    """huggingface_hub's client has no timeout of its own for uploads: lerec gives it LEREC_HUB_TIMEOUT_S."""
    root = copy_of(recorded)
    before = tree_digest(root)
    hub.state.hold_uploads_after = 0  # every upload is taken in and never answered
    try:
        done = lerec(["push", root, "--repo-id", REPO], {**hub_env, "LEREC_HUB_TIMEOUT_S": "1"}, timeout=240)
    finally:
        hub.state.release.set()
    assert done.returncode == 1, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line == (f"lerec push: error: {REPO}: {hub.endpoint} went silent for 1 s, so the request was given up "
                    "(set LEREC_HUB_TIMEOUT_S to wait longer)"), line
    assert tree_digest(root) == {**before, ".lerec/push-hashes.json": tree_digest(root)[".lerec/push-hashes.json"]}
    assert set(hub.state.files(REPO)) <= {".gitattributes"}  # nothing committed


def test_an_upload_the_hub_refuses_is_one_line_and_commits_nothing(recorded, copy_of, hub, hub_env):
    root = copy_of(recorded)
    hub.state.reject_uploads = True
    done = lerec(["push", root, "--repo-id", REPO], hub_env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == f"lerec push: error: {REPO}: the Hub answered 400: Bad request: upload refused by the test"
    assert len([line for line in lines if "error" in line]) == 1
    assert set(hub.state.files(REPO)) == {".gitattributes"}


def test_a_file_the_dataset_no_longer_has_leaves_the_hub_in_the_same_commit(recorded, copy_of, hub, hub_env):
    root = copy_of(recorded)
    extra = root / "data/chunk-000/file-001.parquet"
    shutil.copy(root / "data/chunk-000/file-000.parquet", extra)
    (root / "notes.txt").write_text("the user's own file")
    assert lerec(["push", root, "--repo-id", REPO], hub_env).returncode == 0
    assert {"data/chunk-000/file-001.parquet", "notes.txt"} <= set(hub.state.files(REPO))
    extra.unlink()
    (root / "notes.txt").unlink()
    done = lerec(["push", root, "--repo-id", REPO], hub_env)
    assert done.returncode == 0 and "removed 1" in done.stdout, done.stderr
    assert hub.state.commits[-1][1] == ["data/chunk-000/file-001.parquet"]
    remote = hub.state.files(REPO)
    assert "data/chunk-000/file-001.parquet" not in remote and "notes.txt" in remote  # only the layout's files go
