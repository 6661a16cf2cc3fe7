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
