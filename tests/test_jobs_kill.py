"""A job whose worker is killed (a real SIGKILL to the rank's process) stops with the rank named; running it
again redoes only that rank, and the output equals an uninterrupted run's.

No race with the rank: the merge job's middle source, which only rank 1 reads, has a named pipe in place of a
video file and nobody writes to it, so rank 1 blocks in ``open()`` and cannot finish, however slow the test is,
until it is killed. The real file is then put back and the rerun finishes the job."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

import lerec.jobs
from lerec.dataset.editing.merge import merge_datasets
from lerec.dataset.reading.reader import DatasetReader
from lerec.jobs.episode_work import PID_FILE
from lerec.jobs.plan import WorkDir

from dataset_fixtures import FRONT
from jobs_fixtures import assert_same_dataset

pytest.importorskip("datatrove", reason="needs lerec[scale]")

JOB = ("import lerec.jobs, sys; lerec.jobs.merge(sys.argv[1:4], sys.argv[4], executor='local', workers=2, "
       "tasks=3)")


def _release_readers(fifo) -> None:
    """Let a reader still blocked in ``open(fifo)`` go on (it then reads an empty file and fails)."""
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:  # ENXIO: nobody is waiting
        pass


def test_a_killed_worker_is_named_and_a_rerun_redoes_only_its_rank(recorded_b, tmp_path):
    middle = tmp_path / "middle"  # 2 + 2 + 2 episodes in 3 ranks: rank 1's share is the middle dataset
    shutil.copytree(recorded_b, middle)
    with DatasetReader(middle) as reader:
        video = reader.video_path(0, FRONT)  # rank 1's first episode reads it; the planner reads only meta/
    real = video.rename(tmp_path / "front.mp4")
    os.mkfifo(video)
    sources = [recorded_b, middle, recorded_b]
    out = tmp_path / "out"
    work = WorkDir(tmp_path / "out.lerec-job")
    job = subprocess.Popen([sys.executable, "-c", JOB, *map(str, sources), str(out)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        pid_file = work.rank_dir(1) / PID_FILE
        deadline = time.monotonic_ns() + 120 * 10**9
        while not pid_file.exists() or not pid_file.read_text():
            assert job.poll() is None, job.communicate()
            assert time.monotonic_ns() < deadline, "rank 1 did not start within 120 s"
            time.sleep(0.002)
        pid = int(pid_file.read_text())
        assert not work.completed(1)  # nor can it be: the pipe has no writer
        os.kill(pid, signal.SIGKILL)
        _, stderr = job.communicate(timeout=120)
        assert job.returncode == 1
        assert f"rank 1 (pid {pid}) ended before finishing" in stderr
        assert not out.exists()
        assert work.completed(0) and work.completed(2) and not work.completed(1)
    finally:  # should an assertion fail: no job left running, no rank left waiting on the pipe
        if job.poll() is None:
            job.kill()
            job.wait()
        _release_readers(video)
    kept = {r: (work.rank_dir(r) / PID_FILE).stat().st_mtime_ns for r in (0, 2)}

    os.replace(real, video)
    lerec.jobs.merge(sources, out, executor="local", workers=1,
                     keep_work=True)  # the plan's 3 ranks are kept, whatever the workers now
    assert {r: (work.rank_dir(r) / PID_FILE).stat().st_mtime_ns for r in (0, 2)} == kept  # not run again
    assert int((work.rank_dir(1) / PID_FILE).read_text()) != pid
    merge_datasets(sources, tmp_path / "one")
    assert_same_dataset(out, tmp_path / "one")
