"""``lerec convert-depth ROOT``: convert a dataset's depth videos (recorded with FFV1) to lossless HEVC Main 12,
the codec LeRobot's reader accepts; codes are verified identical, and the dataset changes all at once."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

from lerec.cli.job_options import add_executor_arguments, executor_options
from lerec.dataset.spec import format as fmt
from lerec.dataset.store.lock import dataset_lock
from lerec.dataset.store.metadata import check_dataset_folder
from lerec.dataset.writing.depth_conversion import convert_dataset_depth, pending_depth_videos
from lerec.encoding.depth_transcode import convert_depth_config


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "convert-depth",
        help="convert depth videos to lossless HEVC Main 12 (readable by LeRobot)",
        description="Convert a dataset's depth videos (recorded with FFV1) to lossless HEVC Main 12, the codec "
        "LeRobot's reader accepts. The depth codes are verified identical, and the dataset changes all at once.",
    )
    parser.add_argument("root", type=Path, help="dataset folder (holds meta/info.json)")
    parser.add_argument("--preset", default=None,
                        help="x265 preset (default ultrafast: 3-4x the speed of x265's medium, about 3%% larger)")
    parser.add_argument("--g", type=int, default=None, help="GOP size (default: LeRobot's depth default, 2)")
    parser.add_argument("--threads", type=int, default=None, help="encoder threads (default: the codec decides)")
    parser.add_argument("--dry-run", action="store_true", help="list the videos that would be converted")
    parser.add_argument("--output", type=Path, default=None,
                        help="with --executor: write the converted dataset here (ROOT is then only read)")
    add_executor_arguments(parser)
    parser.set_defaults(func=run)


def _progress_printer(stream=None):
    stream = stream or sys.stderr  # the stderr of the call, not of the import (pytest swaps it per test)
    tty = stream.isatty()  # a log file gets one line per video, not carriage-return redraws
    redraw = "\r" if tty else ""
    started = time.monotonic()
    last = [0.0]

    def show(done: int, total: int, path: Path) -> None:
        now = time.monotonic()
        if done != total and (not tty or now - last[0] < 0.5):
            return
        last[0] = now
        rate = done / max(now - started, 1e-6)
        eta = (total - done) / rate if rate else 0.0
        stream.write(f"{redraw}converting {path.parent.parent.name}/{path.parent.name}/{path.name}: "
                     f"{done}/{total} frames ({100 * done / max(total, 1):.0f}%), {rate:.1f} fps, {eta:.0f} s left ")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


def run(args: argparse.Namespace) -> int:
    check_dataset_folder(args.root)
    config = convert_depth_config(args.preset, args.g)
    job = executor_options(args)
    if job is not None or args.output is not None:
        return _run_job(args, job)
    if args.dry_run:
        pending = pending_depth_videos(args.root, config)
        for video in pending:
            print(f"{video.path.relative_to(args.root)}: {video.codec}, {video.frames} frames")
        print(f"{len(pending)} depth video(s) to convert")
        return 0
    with contextlib.ExitStack() as held:
        if (args.root / fmt.INFO_PATH).exists():  # else convert_dataset_depth says it is not a dataset
            held.enter_context(dataset_lock(args.root, "lerec convert-depth"))
        results = convert_dataset_depth(args.root, config, progress=_progress_printer(),
                                        encoder_threads=args.threads)
    if not results:
        print("no depth video to convert: every depth video is already lossless HEVC")
        return 0
    frames = sum(r.frames for r in results)
    seconds = sum(r.seconds for r in results)
    src_mb = sum(r.src_bytes for r in results) / 2**20
    dst_mb = sum(r.dst_bytes for r in results) / 2**20
    print(f"converted {len(results)} depth video(s), {frames} frames in {seconds:.1f} s "
          f"({frames / max(seconds, 1e-6):.1f} fps), {src_mb:.1f} MiB -> {dst_mb:.1f} MiB; codes verified identical")
    return 0


def _run_job(args: argparse.Namespace, job: dict | None) -> int:
    """Convert-depth on ``--executor`` into a new dataset at ``--output`` (the source is only read)."""
    import lerec.jobs
    from lerec.cli.progress import Progress
    from lerec.dataset.store.metadata import DatasetMeta
    from lerec.errors import SettingsError
    from lerec.recording.settings import check_root

    if job is None or args.output is None or args.dry_run:
        raise SettingsError("convert-depth --executor writes a new dataset: give --executor and --output "
                            "(and no --dry-run)")
    check_root(args.output, "--output")
    with Progress("convert-depth", len(DatasetMeta.load(args.root).episodes), "episodes") as bar:
        lerec.jobs.convert_depth(args.root, args.output, preset=args.preset, g=args.g,
                                 encoder_threads=args.threads, progress=bar.update, **job)
    print(f"wrote {args.output}: depth streams as lossless HEVC, codes unchanged")
    return 0
