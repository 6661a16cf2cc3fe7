"""datatrove's Slurm executor as lerec's jobs use it (imported only when a job runs on Slurm)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable

from datatrove.executor.slurm import SlurmPipelineExecutor

SQUEUE_TIMEOUT_S = 60


class LerecSlurmExecutor(SlurmPipelineExecutor):
    """The job array alone, submitted as from a login node even from inside a Slurm job, and waited for."""

    def launch_job(self) -> None:
        # sbatch exports the submitting environment: inside an allocation (sbatch --wrap "lerec ... --executor
        # slurm") its SLURM_* variables reached the tasks, where srun refused to start ("SLURM_MEM_PER_CPU,
        # SLURM_MEM_PER_GPU, and SLURM_MEM_PER_NODE are mutually exclusive").
        inherited = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("SLURM_") and k != "SLURM_CONF"}
        try:
            super().launch_job()
        finally:
            os.environ.update(inherited)

    def launch_merge_stats(self) -> None:
        """Not submitted: lerec keeps no datatrove statistics, and that job waits on the array with ``afterok``,
        so after any failed task it stayed queued for ever (DependencyNeverSatisfied)."""

    def wait(self, done: Callable[[], bool], poll_s: float = 1.0) -> None:
        """Until ``done()`` or the array has left the queue (sbatch returned at once). A failing squeue (a busy
        slurmctld times out) is asked again, not taken for an empty queue. Interrupted (Ctrl-C), the array is
        cancelled: a rerun would otherwise submit the same ranks while these still run into their staging."""
        job_id = str(self.job_id or "")
        if not job_id or job_id == "-1":  # nothing was submitted: every rank had finished
            return
        try:
            while not done():
                if not self._queued(job_id):
                    time.sleep(poll_s)  # the last markers may land just after the job leaves the queue
                    return
                time.sleep(poll_s)
        except BaseException:
            subprocess.run(["scancel", job_id], capture_output=True, timeout=SQUEUE_TIMEOUT_S)
            raise

    @staticmethod
    def _queued(job_id: str) -> bool:
        try:
            found = subprocess.run(["squeue", "-h", "-j", job_id, "-o", "%i"], capture_output=True, text=True,
                                   timeout=SQUEUE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return True
        if found.returncode != 0:
            # a job that ended long ago is forgotten (MinJobAge): "Invalid job id specified"
            return "Invalid job id" not in found.stderr
        return bool(found.stdout.strip())
