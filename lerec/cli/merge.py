"""``lerec merge A B ... --output C``: one dataset from several recorded alike, videos copied, not re-encoded."""

from __future__ import annotations

from lerec.cli.job_options import add_executor_arguments, executor_options
from lerec.cli.progress import Progress
from lerec.dataset.editing.merge import count_episodes, merge_datasets
from lerec.recording.settings import check_root


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "merge", help="merge datasets into one (no re-encoding)",
        description="Merge datasets with the same fps, robot_type and features into a new dataset. Videos are "
        "joined without re-encoding; tasks are unioned; indices and statistics are rebuilt. Encoder-tuning "
        "settings (g, crf, preset, fast_decode, extra_options) that differ become null with a warning.")
    p.add_argument("sources", nargs="+", help="dataset folders, in the order their episodes are wanted")
    p.add_argument("--output", required=True, help="new dataset folder (must not exist or be empty)")
    add_executor_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    check_root(args.output, "--output")  # a file in its place, a read-only file system: before any work
    job = executor_options(args)
    with Progress("merge", count_episodes(args.sources), "episodes") as bar:
        if job is None:
            merge_datasets(args.sources, args.output, progress=bar.update)
        else:
            import lerec.jobs

            lerec.jobs.merge(args.sources, args.output, progress=bar.update, **job)
    print(f"merged {len(args.sources)} datasets into {args.output}")
    return 0
