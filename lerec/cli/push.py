"""``lerec push ROOT --repo-id ORG/NAME``: publish a dataset to the Hugging Face Hub (what is missing or changed)."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import sys

import yaml

from lerec.cli import INTERRUPTED
from lerec.dataset.reading.remote import check_repo_id
from lerec.errors import SettingsError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "push", help="publish a dataset to the Hugging Face Hub",
        description="Upload a dataset to a dataset repo on the Hugging Face Hub, as LeRobot's push_to_hub does: the "
        "repo is created if missing, the dataset's files (not lerec's scratch) and a dataset card go in one commit, "
        "and the v3.0 tag marks it. Only what is missing or changed is sent: run it again after an interruption. "
        "The token is HF_TOKEN's or `hf auth login`'s; HF_ENDPOINT chooses the Hub.")
    p.add_argument("root", help="dataset folder")
    p.add_argument("--repo-id", "--repo_id", dest="repo_id", required=True, help="the dataset repo: ORG/NAME")
    p.add_argument("--private", action="store_true", help="create the repo private (an existing repo keeps its "
                   "visibility)")
    p.add_argument("--tags", default="", help="tags for the dataset card, after LeRobot's 'LeRobot': a,b or [a, b]")
    p.add_argument("--revision", default="main", help="the branch to push to; with --branch, where a new branch "
                   "starts (default: main)")
    p.add_argument("--branch", default=None, help="push to this branch, created from --revision if missing")
    p.add_argument("--only-closed", action="store_true", help="only the data and video files no recording session "
                   "appends to any more, and no metadata (what `lerec record --dataset.push_every*` sends while it "
                   "records)")
    p.set_defaults(func=run)


def parse_tags(text: str | list[str] | None, flag: str) -> list[str]:
    """Tags from 'a,b' or LeRobot's list form '[a, b]'; each non-empty, on one line."""
    if isinstance(text, str) and text.strip().startswith("["):
        try:
            text = yaml.safe_load(text)
        except yaml.YAMLError:
            raise SettingsError(f"{flag}={text!r}: give tags as a,b or [a, b]") from None
        if not isinstance(text, list):
            raise SettingsError(f"{flag}: give tags as a,b or [a, b]")
    items = text if isinstance(text, list) else [t.strip() for t in (text or "").split(",")]
    items = [str(t).strip() for t in items if str(t).strip()]
    for tag in items:
        if "\n" in tag:
            raise SettingsError(f"{flag}: tag {tag!r} holds a newline")
    return items


def resume_command(root, repo_id: str, private: bool = False, tags: list[str] = (), branch: str | None = None) -> str:
    words = ["lerec", "push", str(root), "--repo-id", repo_id, *(["--private"] if private else []),
             *([f"--tags={','.join(tags)}"] if tags else []), *([f"--branch={branch}"] if branch else [])]
    return shlex.join(words)


def _interrupt_handler():
    """Ctrl-C: the files being sent finish (huggingface_hub waits for its upload threads), then the push stops;
    Ctrl-C again stops it at once."""
    count = 0

    def handler(signum, frame):
        nonlocal count
        count += 1
        if count == 1:
            print("\nstopping after the files being sent (Ctrl-C again: at once)", file=sys.stderr, flush=True)
        raise KeyboardInterrupt

    return handler


def run(args) -> int:
    check_repo_id(args.repo_id, "--repo-id")
    tags = parse_tags(args.tags, "--tags")
    from lerec.hub.push import push

    if args.only_closed:  # a recording session's background upload: the encoders come first
        with contextlib.suppress(OSError):
            os.nice(10)
    signal.signal(signal.SIGINT, _interrupt_handler())
    try:
        report = push(args.root, args.repo_id, private=True if args.private else None, tags=tags,
                      revision=args.revision, branch=args.branch, only_closed=args.only_closed,
                      log=lambda line: print(line, file=sys.stderr))
    except KeyboardInterrupt:
        # After a second Ctrl-C, huggingface_hub's upload threads would hold the exit until their file is sent:
        # leave now (the dataset's lock is released, and nothing else in it was being written).
        print(f"lerec push: interrupted: the upload stopped; {args.root} is unchanged. What arrived is kept: "
              f"`{resume_command(args.root, args.repo_id, args.private, tags, args.branch)}` sends the rest",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(INTERRUPTED)
    print(report.summary() + (f"; tagged {report.revision} as v3.0" if report.tagged else ""))
    return 0
