"""``lerec validate ROOT``: check that a dataset's rows, videos, totals and statistics agree."""

from __future__ import annotations

import json
import sys

from lerec.cli.job_options import add_executor_arguments, executor_options
from lerec.cli.progress import Progress
from lerec.dataset.reading.remote import dataset_root
from lerec.dataset.reading.validate import Validator
from lerec.dataset.store.metadata import check_dataset_folder

SHOWN = 50


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "validate", help="check a dataset frame by frame",
        description="Check that every episode's rows are contiguous, that every video holds exactly one frame at "
        "each row's time (from_timestamp + i/fps) and none elsewhere, that files open, that every file holds the "
        "bytes info.json committed (its checksum), and that info.json totals and statistics agree with the data. "
        "Exit status 1 when anything is wrong.")
    p.add_argument("root", help="dataset folder, or a Hub dataset ORG/NAME (downloaded, or read from the local cache)")
    p.add_argument("--revision", default=None, help="of a Hub dataset (default: LeRobot's v3.0 tag)")
    p.add_argument("--decode", action="store_true",
                   help="decode every frame (slower; also catches corrupt bitstreams) instead of reading packets")
    p.add_argument("--json", action="store_true", help="print the problems as JSON")
    add_executor_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    job = executor_options(args)
    # A Hub dataset ORG/NAME is downloaded first; nothing to list problems of is an error, as in every command.
    root = check_dataset_folder(dataset_root(args.root, args.revision))
    notes = []
    if job is not None:
        problems = _run_job(args, root, job)
    else:
        validator = Validator(root, decode=args.decode)
        with Progress("validate", validator.work(), "files") as bar:
            validator.progress = bar.update
            problems = validator.run()
        notes = validator.notes
    if args.json:
        print(json.dumps([{"episode": p.episode, "stream": p.stream, "frame": p.frame, "message": p.message}
                          for p in problems], indent=2))
    elif problems:
        print(f"{args.root}: {len(problems)} problem(s)", file=sys.stderr)
        for problem in problems[:SHOWN]:
            print(f"  {problem}", file=sys.stderr)
        if len(problems) > SHOWN:
            print(f"  ... and {len(problems) - SHOWN} more", file=sys.stderr)
    else:
        print(f"{args.root}: OK" + "".join(f"; {note}" for note in notes))
    return 1 if problems else 0


def _run_job(args, root, job) -> list:
    """``validate --decode`` on ``--executor`` (a job always decodes every frame)."""
    import lerec.jobs
    from lerec.dataset.store.metadata import DatasetMeta
    from lerec.errors import SettingsError

    if not args.decode:
        raise SettingsError("--executor runs validate --decode (every frame decoded); add --decode")
    with Progress("validate --decode", len(DatasetMeta.load(root).episodes), "episodes") as bar:
        return lerec.jobs.validate(str(root), progress=bar.update, **job)
