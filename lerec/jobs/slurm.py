"""datatrove's Slurm executor as lerec's jobs use it (imported only when a job runs on Slurm)."""

from __future__ import annotations

from datatrove.executor.slurm import SlurmPipelineExecutor


class LerecSlurmExecutor(SlurmPipelineExecutor):
    """The job array alone, without datatrove's stats-merging job: lerec keeps no datatrove statistics, and that
    job waits on the array with ``afterok``, so after any failed task it stayed queued for ever
    (DependencyNeverSatisfied)."""

    def launch_merge_stats(self) -> None:
        pass
