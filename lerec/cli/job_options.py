"""``--executor local|slurm|ray`` and its settings, shared by the heavy commands (edit reencode/convert, merge,
validate, convert-depth). Without ``--executor`` a command runs in one process, as it always did."""

from __future__ import annotations

import argparse
from typing import Any

from lerec.errors import SettingsError

FLAGS = {  # flag -> (ExecutorSettings field, type, help)
    "--workers": ("workers", int, "ranks run at a time (default: one per core)"),
    "--tasks": ("tasks", int, "ranks in all, the unit a rerun redoes (default: --workers)"),
    "--slurm.partition": ("slurm_partition", str, "Slurm partition"),
    "--slurm.time": ("slurm_time", str, "Slurm time limit per task (default 04:00:00)"),
    "--slurm.cpus_per_task": ("slurm_cpus_per_task", int, "Slurm CPUs per task (default 1)"),
    "--ray.address": ("ray_address", str, "Ray cluster address (default: a local Ray on this machine)"),
}


def add_executor_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "running as a job (needs lerec[scale])",
        "episodes processed by datatrove workers, each into its own staging folder (OUTPUT.lerec-job), then "
        "committed in order; after a failure, the same command redoes only the ranks that did not finish")
    group.add_argument("--executor", choices=("local", "slurm", "ray"), default=None,
                       help="run on local worker processes, a Slurm cluster or a Ray cluster")
    for flag, (dest, kind, text) in FLAGS.items():
        group.add_argument(flag, dest=dest, type=kind, default=None, help=text)
    group.add_argument("--work_dir", default=None, help="the job's folder (default: OUTPUT.lerec-job)")


def executor_options(args: argparse.Namespace) -> dict[str, Any] | None:
    """The ``lerec.jobs`` keyword arguments the flags ask for; None without ``--executor``."""
    given = {dest: getattr(args, dest) for dest, _, _ in FLAGS.values() if getattr(args, dest, None) is not None}
    if getattr(args, "executor", None) is None:
        if given or getattr(args, "work_dir", None):
            flag = next((f for f, (d, _, _) in FLAGS.items() if d in given), "--work_dir")
            raise SettingsError(f"{flag} needs --executor local|slurm|ray")
        return None
    from lerec.jobs.executors import require_scale

    require_scale()
    return {"executor": args.executor, **given, "work_dir": args.work_dir}
