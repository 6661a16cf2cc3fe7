"""Jobs on a real Slurm cluster: one node on 127.0.0.1 (.ci/slurm.sh), datatrove's SlurmPipelineExecutor submitting
job arrays with sbatch, tasks run by srun; the local disk is the shared filesystem. Skipped, with the reason, where
no cluster can run (slurm_cluster.py)."""

from __future__ import annotations

import functools

from dataset_fixtures import recorded  # noqa: F401
from slurm_cluster import PARTITION, decode_digest_step, env_command, episode_digest, slurm_cluster, slurm_logs
from slurm_cluster import wait_for_jobs

from lerec.dataset.reader import DatasetReader


def test_a_datatrove_pipeline_runs_on_the_slurm_cluster(slurm_cluster, recorded, tmp_path):  # noqa: F811
    from datatrove.executor.slurm import SlurmPipelineExecutor

    out, logs = tmp_path / "digests", tmp_path / "logs"
    out.mkdir()
    name = f"lerec-test-{tmp_path.name}"
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
    """lerec.jobs on SlurmPipelineExecutor: a 2-task job array (srun in each), the commit here; byte for byte
    the one-process re-encode."""
    import lerec.jobs
    from lerec.dataset.edit import reencode_dataset

    from jobs_fixtures import Count, assert_same_dataset

    rgb, count = {"vcodec": "h264", "preset": "ultrafast", "crf": 35}, Count()
    work = tmp_path / "work"
    try:
        out = lerec.jobs.reencode(recorded, tmp_path / "slurm", rgb=rgb, depth={"g": 4}, encoder_threads=1,
                                  executor="slurm", slurm_partition=PARTITION, workers=2, tasks=2,
                                  slurm_time="00:30:00", work_dir=work, keep_work=True, progress=count)
    except Exception:
        print(slurm_logs(work))
        raise
    finally:
        wait_for_jobs(f"lerec-{work.name}")
    reencode_dataset(recorded, tmp_path / "one", rgb=rgb, depth={"g": 4}, encoder_threads=1)
    assert_same_dataset(out, tmp_path / "one")
    assert count.done == 3
    # Both ranks ran as tasks 0 and 1 of one Slurm job array: datatrove's completion markers, and Slurm's output
    # files JOBID_TASK.out (beside them the stats-merging job's, JOBID_0.out).
    assert sorted(p.name for p in (work / "logs/completions").iterdir()) == ["00000", "00001"]
    outputs = {p.stem for p in (work / "slurm_logs").glob("*_*.out")}
    assert any({f"{job}_0", f"{job}_1"} <= outputs for job in {o.split("_")[0] for o in outputs}), outputs
