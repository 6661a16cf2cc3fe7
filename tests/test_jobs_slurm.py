"""Jobs on a real Slurm cluster: one node on 127.0.0.1 (.ci/slurm.sh), datatrove's SlurmPipelineExecutor submitting
job arrays with sbatch, each task run by srun; the local disk is the shared filesystem. Skipped, with the reason,
where no cluster can run (slurm_cluster.py)."""

from __future__ import annotations

import functools
import json
import signal
import subprocess
import sys
import time
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import lerec.jobs
from lerec.dataset.editing.edit import reencode_dataset
from lerec.dataset.reading.reader import DatasetReader
from lerec.errors import DatasetError

from dataset_fixtures import FRONT
from jobs_fixtures import Count, assert_same_dataset
from slurm_cluster import (PARTITION, decode_digest_step, env_command, episode_digest, queue_lines, slurm_logs,
                           wait_for_jobs)
from slurm_cluster import slurm_cluster, slurm_session  # noqa: F401

H264 = {"vcodec": "h264", "preset": "ultrafast", "crf": 35}


def unique(name: str) -> str:
    """A folder name, and so a Slurm job name, no other run uses."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def test_a_datatrove_pipeline_runs_on_the_slurm_cluster(slurm_cluster, recorded, tmp_path):  # noqa: F811
    from datatrove.executor.slurm import SlurmPipelineExecutor

    out, logs = tmp_path / "digests", tmp_path / "logs"
    out.mkdir()
    name = unique("lerec-test")
    step = functools.partial(decode_digest_step, root=str(recorded), out=str(out))
    executor = SlurmPipelineExecutor([step], tasks=2, workers=2, time="00:30:00", partition=PARTITION,
                                     cpus_per_task=1, mem_per_cpu_gb=1, job_name=name, logging_dir=str(logs),
                                     env_command=env_command(), requeue=False)
    executor.run()
    assert executor.job_id not in (None, -1)
    wait_for_jobs(name)
    done = sorted(p.name for p in (logs / "completions").glob("*")) if (logs / "completions").exists() else []
    assert done == ["00000", "00001"], slurm_logs(logs)
    with DatasetReader(recorded) as ds:
        want = {f"{e}.sha256": episode_digest(ds, e) for e in range(ds.num_episodes)}
    assert {p.name: p.read_text() for p in out.iterdir()} == want


def test_reencode_on_slurm_equals_the_one_process_reencode(slurm_cluster, recorded, tmp_path):  # noqa: F811
    """lerec.jobs on the Slurm executor: a 2-task job array (srun in each), the commit here; byte for byte the
    one-process re-encode."""
    count, work = Count(), tmp_path / unique("work")
    try:
        out = lerec.jobs.reencode(recorded, tmp_path / "slurm", rgb=H264, depth={"g": 4}, encoder_threads=1,
                                  executor="slurm", slurm_partition=PARTITION, workers=2, tasks=2,
                                  slurm_time="00:30:00", work_dir=work, keep_work=True, progress=count)
    except Exception:
        print(slurm_logs(work))
        raise
    finally:
        wait_for_jobs(f"lerec-{work.name}")
    reencode_dataset(recorded, tmp_path / "one", rgb=H264, depth={"g": 4}, encoder_threads=1)
    assert_same_dataset(out, tmp_path / "one")
    assert count.done == 3
    # Both ranks ran as tasks 0 and 1 of one Slurm job array: datatrove's completion markers, and Slurm's output
    # files JOBID_TASK.out.
    assert sorted(p.name for p in (work / "logs/completions").iterdir()) == ["00000", "00001"]
    outputs = {p.stem for p in (work / "slurm_logs").glob("*_*.out")}
    assert any({f"{job}_0", f"{job}_1"} <= outputs for job in {o.split("_")[0] for o in outputs}), outputs


def point_episode_at_a_missing_file(root, episode: int, key: str) -> None:
    path = root / "meta/episodes/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    column = f"videos/{key}/file_index"
    values = table.column(column).to_pylist()
    values[episode] = 7
    pq.write_table(table.set_column(table.column_names.index(column), column, pa.array(values, pa.int64())), path)


def test_a_failed_slurm_task_leaves_no_output_and_the_rerun_submits_only_its_rank(slurm_cluster, recorded, copy_of,
                                                                                  tmp_path):  # noqa: F811
    src = copy_of(recorded)
    episodes = src / "meta/episodes/chunk-000/file-000.parquet"
    good = episodes.read_bytes()
    point_episode_at_a_missing_file(src, 2, FRONT)  # three tasks of one episode each: task 2 fails
    out, work = tmp_path / "out", tmp_path / unique("work")
    options = {"rgb": H264, "encoder_threads": 1, "executor": "slurm", "slurm_partition": PARTITION, "tasks": 3,
               "workers": 2, "slurm_time": "00:30:00", "work_dir": work}
    try:
        with pytest.raises(DatasetError, match=r"1 of 3 ranks did not finish \(first: rank 2"):
            lerec.jobs.reencode(src, out, **options)
        assert not out.exists()
        assert sorted(p.name for p in (work / "logs/completions").iterdir()) == ["00000", "00001"]
        assert "file-007.mp4" in slurm_logs(work)  # the task's own log names what it missed
        # Nothing left waiting in the queue (datatrove's stats job used to wait there for ever: afterok).
        left = queue_lines(f"lerec-{work.name}")
        assert left == [], f"jobs left in the queue after the failure: {left}"

        episodes.write_bytes(good)
        before = set((work / "slurm_logs").glob("*.out"))
        lerec.jobs.reencode(src, out, keep_work=True, **options)
    finally:
        wait_for_jobs(f"lerec-{work.name}")
    # The rerun submitted one array task (index 0 of a 1-task array) for rank 2 alone.
    assert json.loads((work / "logs/ranks_to_run.json").read_text()) == [2]
    rerun = {p.stem for p in set((work / "slurm_logs").glob("*.out")) - before}
    assert {name.split("_")[1] for name in rerun} == {"0"}, rerun
    reencode_dataset(src, tmp_path / "one", rgb=H264, encoder_threads=1)
    assert_same_dataset(out, tmp_path / "one")


def test_a_job_started_inside_a_slurm_allocation_runs(slurm_cluster, recorded, tmp_path):  # noqa: F811
    """docs/scale.md's advice, sbatch --wrap "lerec ... --executor slurm": the allocation's SLURM_* variables
    (here SLURM_MEM_PER_NODE from --mem) must not reach the array's tasks, where srun refused to start."""
    name, outer = unique("lerec-outer"), tmp_path / "outer.out"
    command = (f"{sys.executable} -m lerec validate {recorded} --decode --executor slurm --slurm.partition {PARTITION}"
               f" --tasks 2 --workers 1 --work_dir {tmp_path / unique('work')}")
    subprocess.run(["sbatch", "--partition", PARTITION, "--cpus-per-task", "1", "--mem", "1G", "--job-name", name,
                    "--output", str(outer), "--wrap", command], check=True, capture_output=True)
    wait_for_jobs(name)
    assert f"{recorded}: OK" in outer.read_text(), outer.read_text()[-3000:] + slurm_logs(tmp_path)


def test_ctrl_c_on_the_submitting_command_cancels_its_job_array(slurm_cluster, recorded, tmp_path):  # noqa: F811
    """Otherwise the array runs on, and a rerun submits the same ranks beside it, into the same staging."""
    blocker = unique("lerec-blocker")  # both CPUs taken: the job's array stays pending until cancelled
    subprocess.run(["sbatch", "--partition", PARTITION, "--cpus-per-task", "2", "--job-name", blocker,
                    "--output", "/dev/null", "--wrap", "sleep 600"], check=True, capture_output=True)
    work = tmp_path / unique("work")
    name = f"lerec-{work.name}"
    try:
        driver = subprocess.Popen([sys.executable, "-m", "lerec", "validate", str(recorded), "--decode", "--executor",
                                   "slurm", "--slurm.partition", PARTITION, "--tasks", "2", "--work_dir", str(work)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 120
        while not queued(name):
            assert driver.poll() is None and time.monotonic() < deadline, driver.communicate()[0][-2000:]
            time.sleep(0.5)
        driver.send_signal(signal.SIGINT)
        output = driver.communicate(timeout=120)[0]
        assert driver.returncode != 0, output[-2000:]
        assert not queued(name), f"the array is still queued after Ctrl-C: {output[-2000:]}"
    finally:
        subprocess.run(["scancel", "--name", blocker], capture_output=True)
        wait_for_jobs(name)


def queued(name: str) -> bool:
    return bool(queue_lines(name))
