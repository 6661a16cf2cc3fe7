"""A full disk and a read-only root, on a real small tmpfs: one line naming the path and the cause, a non-zero
exit, the saved episodes byte for byte, and `--resume` (or a retry) working once the disk is writable again."""

import errno
import hashlib
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from lerec.dataset.reading.validate import validate
from lerec.dataset.store.metadata import DatasetMeta

SMALL = "{front: {type: synthetic, width: 64, height: 48, fps: 30}, wrist: {type: synthetic, width: 64, height: 48}}"
FAST = ["--dataset.rgb_encoder.vcodec=h264", "--dataset.rgb_encoder.preset=ultrafast"]


@pytest.fixture
def disk(tmp_path):
    """A 16 MB tmpfs, unmounted after the test (skipped where mounting is not permitted)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill ``disk`` but ``leave`` bytes; returns the ballast file."""
    ballast = disk / f"ballast-{uuid.uuid4().hex}"
    with open(ballast, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    with open(ballast, "r+b") as f:
        f.truncate(max(0, ballast.stat().st_size - leave))
    return ballast


def record(root, *extra):
    return subprocess.run([sys.executable, "-m", "lerec", "record", f"--dataset.root={root}", f"--cameras={SMALL}",
                           *FAST, *extra], capture_output=True, text=True, timeout=120)


def hashes(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in ("data", "videos", "meta") for p in sorted((root / folder).rglob("*")) if p.is_file()}


def hashes_of_prefix(path, size):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read(size)).hexdigest()


def one_line_error(done, cause: str, path: Path, returncode: int = 1):
    assert done.returncode == returncode, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("lerec record: error:")]
    assert len(errors) == 1 and cause in errors[0] and str(path) in errors[0], done.stderr


@pytest.mark.parametrize("leave, options", [
    (0, ["--dataset.encoder_queue_maxsize=0"]),  # every frame goes to a spill file on the full disk
    (48 * 1024, []),  # the encoders' files fit; the save that follows does not
    (160 * 1024, []),
])
def test_a_full_disk_ends_the_session_in_one_line_and_resume_goes_on_once_there_is_space(disk, leave, options):
    root = disk / "ds"
    assert record(root, "--dataset.num_episodes=2", "--dataset.episode_time_s=0.3").returncode == 0
    before = hashes(root)
    before_sizes = {path: (root / path).stat().st_size for path in before}
    ballast = fill(disk, leave)
    full = record(root, "--resume", "--dataset.num_episodes=5", "--dataset.episode_time_s=1", *options)
    one_line_error(full, "no space left", root)
    saved = DatasetMeta.load(root).info["total_episodes"]  # episodes saved before the disk filled stay too
    assert validate(root) == []
    if saved == 2:
        assert hashes(root) == before
    else:
        for path, digest in before.items():
            if path.startswith("videos/"):
                size = (Path(root) / path).stat().st_size
                assert size > 0 and hashes_of_prefix(root / path, before_sizes[path]) == digest
    ballast.unlink()
    resumed = record(root, "--resume", "--dataset.num_episodes=1", "--dataset.episode_time_s=0.3")
    assert resumed.returncode == 0, resumed.stderr
    assert validate(root) == [] and DatasetMeta.load(root).info["total_episodes"] == saved + 1


def test_a_new_dataset_on_a_full_disk_fails_in_one_line_and_leaves_nothing_in_the_way(disk):
    root = disk / "new"
    ballast = fill(disk)
    one_line_error(record(root, "--dataset.num_episodes=1", "--dataset.episode_time_s=0.3"), "no space left", root)
    assert not root.exists() or not any(root.iterdir())
    ballast.unlink()
    again = record(root, "--dataset.num_episodes=1", "--dataset.episode_time_s=0.3")
    assert again.returncode == 0, again.stderr
    assert validate(root) == []


def test_a_read_only_root_fails_in_one_line_and_resume_goes_on_once_writable(disk):
    root = disk / "ds"
    assert record(root, "--dataset.num_episodes=1", "--dataset.episode_time_s=0.3").returncode == 0
    before = hashes(root)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    try:
        # Found before a camera opens, as a bad --dataset.root (exit 2, as every bad setting).
        one_line_error(record(root, "--resume", "--dataset.num_episodes=1", "--dataset.episode_time_s=0.3"),
                       "read-only", root, returncode=2)
        one_line_error(record(disk / "new", "--dataset.num_episodes=1", "--dataset.episode_time_s=0.3"),
                       "read-only", disk / "new", returncode=2)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    assert hashes(root) == before
    resumed = record(root, "--resume", "--dataset.num_episodes=1", "--dataset.episode_time_s=0.3")
    assert resumed.returncode == 0, resumed.stderr
    assert validate(root) == [] and DatasetMeta.load(root).info["total_episodes"] == 2
