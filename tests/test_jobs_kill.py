"""A job whose worker is killed (a real SIGKILL to the rank's process) stops with the rank named; running it
again redoes only that rank, and the output equals an uninterrupted run's."""

import os
import signal
import subprocess
import sys
import time

import pytest

import lerec.jobs
from lerec.dataset.edit import reencode_dataset
from lerec.jobs.episode_work import PID_FILE
from lerec.jobs.plan import WorkDir

from jobs_fixtures import assert_same_dataset

pytest.importorskip("datatrove", reason="needs lerec[scale]")

RGB = {"vcodec": "h264", "preset": "ultrafast", "crf": 35}
JOB = ("import lerec.jobs, sys; lerec.jobs.reencode(sys.argv[1], sys.argv[2], rgb={rgb!r}, encoder_threads=1, "
       "executor='local', workers=2, tasks=3)").format(rgb=RGB)


def test_a_killed_worker_is_named_and_a_rerun_redoes_only_its_rank(recorded, tmp_path):
    out = tmp_path / "out"
    work = WorkDir(tmp_path / "out.lerec-job")
    job = subprocess.Popen([sys.executable, "-c", JOB, str(recorded), str(out)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    pid_file = work.rank_dir(1) / PID_FILE
    deadline = time.monotonic_ns() + 120 * 10**9
    while not pid_file.exists() or not pid_file.read_text():
        assert job.poll() is None and time.monotonic_ns() < deadline, job.communicate()
        time.sleep(0.002)
    pid = int(pid_file.read_text())
    os.kill(pid, signal.SIGSTOP)  # frozen mid-rank (its one episode takes far longer than this loop's turn)
    assert not work.completed(1)
    os.kill(pid, signal.SIGKILL)
    _, stderr = job.communicate(timeout=120)
    assert job.returncode == 1
    assert f"rank 1 (pid {pid}) ended before finishing" in stderr
    assert not out.exists()
    assert work.completed(0) and work.completed(2) and not work.completed(1)
    kept = {r: (work.rank_dir(r) / PID_FILE).stat().st_mtime_ns for r in (0, 2)}

    lerec.jobs.reencode(recorded, out, rgb=RGB, encoder_threads=1, executor="local", workers=1,
                        keep_work=True)  # the plan's 3 ranks are kept, whatever the workers now
    assert {r: (work.rank_dir(r) / PID_FILE).stat().st_mtime_ns for r in (0, 2)} == kept  # not run again
    assert int((work.rank_dir(1) / PID_FILE).read_text()) != pid
    reencode_dataset(recorded, tmp_path / "one", rgb=RGB, encoder_threads=1)
    assert_same_dataset(out, tmp_path / "one")
