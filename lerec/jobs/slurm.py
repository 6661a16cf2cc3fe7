"""datatrove's Slurm executor as lerec's jobs use it (imported only when a job runs on Slurm)."""

from __future__ import annotations

import os

from datatrove.executor.slurm import SlurmPipelineExecutor


class LerecSlurmExecutor(SlurmPipelineExecutor):
    """The job array alone, submitted as from a login node even from inside a Slurm job."""

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
