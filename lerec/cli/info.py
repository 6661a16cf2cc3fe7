"""``lerec info ROOT``: episodes, frames, duration, tasks and per stream encoding, bitrate and sizes."""

from __future__ import annotations

import json

from lerec.dataset.reading.remote import dataset_root
from lerec.dataset.reading.summary import format_summary, summarize


def register(subparsers) -> None:
    p = subparsers.add_parser("info", help="summarize a dataset",
                              description="Episodes, frames, duration, tasks, per camera stream its codec, "
                              "pixel format, size, fps, bitrate, file sizes and depth settings, and per sensor "
                              "stream (IMU, audio) its type, channels, rate (declared and measured), samples and "
                              "size.")
    p.add_argument("root", help="dataset folder, or a Hub dataset ORG/NAME (downloaded, or read from the local cache)")
    p.add_argument("--revision", default=None, help="of a Hub dataset (default: LeRobot's v3.0 tag)")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(func=run)


def run(args) -> int:
    summary = summarize(dataset_root(args.root, args.revision))
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 0
