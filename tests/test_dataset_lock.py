"""One session writes into a dataset at a time: two real `lerec` processes on one root."""

import os
import signal
import subprocess
import sys
import time

import pytest

from lerec.dataset.reading.validate import validate
from lerec.dataset.store.lock import dataset_lock
from lerec.dataset.store.metadata import DatasetMeta
from lerec.errors import DatasetError

SMALL = "{front: {type: synthetic, width: 64, height: 48, fps: 30}}"
FAST = ["--dataset.rgb_encoder.vcodec=h264", "--dataset.rgb_encoder.preset=ultrafast"]


def record_args(root, *extra):
    return [sys.executable, "-m", "lerec", "record", f"--dataset.root={root}", f"--cameras={SMALL}", *FAST, *extra]


def test_a_second_resume_on_one_root_fails_at_once_naming_the_first(tmp_path):
    root = tmp_path / "ds"
    made = subprocess.run(record_args(root, "--dataset.num_episodes=1", "--dataset.episode_time_s=0.3"),
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    first = subprocess.Popen(record_args(root, "--resume", "--dataset.num_episodes=1", "--dataset.episode_time_s=60"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any((root / ".lerec/staging").glob("ep000001-*")) and time.monotonic() < deadline:
            assert first.poll() is None, first.communicate()[1]
            time.sleep(0.01)
        second = subprocess.run(record_args(root, "--resume", "--dataset.num_episodes=1",
                                            "--dataset.episode_time_s=0.3"), capture_output=True, text=True,
                                timeout=120)
        assert first.poll() is None  # the second ended while the first still records
        assert second.returncode == 1
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in second.stderr, second.stderr
        assert f"is in use by pid {first.pid} on " in lines[0] and "lerec record" in lines[0]
        converting = subprocess.run([sys.executable, "-m", "lerec", "convert-depth", str(root)],
                                    capture_output=True, text=True, timeout=120)
        assert converting.returncode == 1 and f"pid {first.pid}" in converting.stderr
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=60) == 0, first.communicate()[1]
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert DatasetMeta.load(root).info["total_episodes"] == 2 and validate(root) == []
    assert not (root / ".lerec").exists()  # released and gone
    again = subprocess.run(record_args(root, "--resume", "--dataset.num_episodes=1", "--dataset.episode_time_s=0.3"),
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr


def test_a_killed_holder_leaves_the_dataset_free(tmp_path):
    root = tmp_path / "ds"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                               "from lerec.dataset.store.lock import dataset_lock\n"
                               f"with dataset_lock({str(root)!r}, 'holder'):\n print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(DatasetError, match=rf"in use by pid {holder.pid} on .*\(holder, since"):
        with dataset_lock(root):
            pass
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with dataset_lock(root, "me") as path:
        assert path.exists()
    assert not (root / ".lerec").exists()  # released: no trace left
    with dataset_lock(tmp_path / "new") as path:
        assert path.exists()
    assert not (tmp_path / "new").exists()  # the lock made the folder, and took it away again
