"""``lerec edit ROOT {delete,filter,split,reencode,convert} --output OUT``: a new dataset made from ROOT; ROOT is only
read."""

from __future__ import annotations

import argparse
from typing import Any

from lerec.cli.encoder_flags import add_encoder_arguments, encoder_changes_from_args
from lerec.cli.job_options import add_executor_arguments, executor_options
from lerec.cli.label import success_value, tag_list
from lerec.cli.progress import Progress
from lerec.dataset.editing.edit import (
    convert_to_video,
    delete_episodes,
    keep_episodes,
    reencode_dataset,
    split_by_fractions,
    split_dataset,
)
from lerec.dataset.reading.summary import plural
from lerec.dataset.spec import layout
from lerec.dataset.store.labels import UNCHANGED, labels_of, matching_episodes
from lerec.dataset.store.metadata import DatasetMeta
from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.errors import DatasetError, SettingsError
from lerec.recording.settings import check_root

OUTPUT_HELP = "new dataset folder (must not exist or be empty); before or after the operation"
ENCODERS = (("rgb_encoder", RGBEncoderConfig), ("depth_encoder", DepthEncoderConfig))


def _int_list(text: str) -> list[int]:
    try:
        return [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated episode indices, got {text!r}") from None


def _add_encoder_flags(parser: argparse.ArgumentParser) -> None:
    for prefix, cls in ENCODERS:
        add_encoder_arguments(parser, prefix, cls, f"{prefix} (fields not given keep the stream's current setting)")


def _encoder_changes(args: argparse.Namespace, prefix: str) -> dict[str, Any] | None:
    cls = dict(ENCODERS)[prefix]
    return encoder_changes_from_args(args, prefix, cls) or None


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "edit", help="delete, filter, split, re-encode or convert a dataset into a new one",
        description="Write an edited copy of a dataset. The source is never modified; the output is built in a "
        "temporary folder and moved into place when complete. Videos are copied without re-encoding except "
        "the streams a reencode/convert changes.")
    p.add_argument("root", metavar="ROOT", help="source dataset folder")
    p.add_argument("--output", help=OUTPUT_HELP)
    ops = p.add_subparsers(dest="operation", metavar="OPERATION", required=True)
    d = ops.add_parser("delete", help="drop episodes (the rest are renumbered from 0)")
    d.add_argument("--episodes", type=_int_list, required=True, help="e.g. 1,3")
    f = ops.add_parser("filter", help="keep the episodes whose label matches (the rest are dropped)")
    f.add_argument("--success", default=None, metavar="true|false|unset", help="keep the episodes so labelled")
    f.add_argument("--tags", default=None, metavar="TAG[,TAG...]", help="keep the episodes with every tag given")
    s = ops.add_parser("split", help="split into datasets OUTPUT/<name>")
    group = s.add_mutually_exclusive_group(required=True)
    group.add_argument("--fractions", help="consecutive shares of the episodes, e.g. 0.8,0.2")
    group.add_argument("--episodes", help="episode lists separated by ';', e.g. '0,1,2;3,4'")
    s.add_argument("--names", help="split names (default train,val for two splits, else split0,split1,...)")
    r = ops.add_parser("reencode", help="re-encode streams with other encoder settings (depth keeps its codes)")
    r.add_argument("--encoder_threads", type=int, default=None)
    _add_encoder_flags(r)
    c = ops.add_parser("convert", help="image dataset (PNG in parquet) to video")
    _add_encoder_flags(c)
    for op in (r, c):
        add_executor_arguments(op)
    for op in (d, f, s, r, c):
        # Accepted after the operation too; SUPPRESS keeps a value given before it.
        op.add_argument("--output", default=argparse.SUPPRESS, help=OUTPUT_HELP)
        op.set_defaults(usage_parser=op)
    p.set_defaults(func=run)


def _splits(args, num_episodes: int) -> dict[str, list[int]]:
    if args.fractions:
        try:
            fractions = [float(x) for x in args.fractions.split(",")]
        except ValueError:
            raise SettingsError(f"--fractions {args.fractions!r}: expected numbers like 0.8,0.2") from None
        parts = split_by_fractions(num_episodes, fractions)
    else:
        parts = [_int_list(part) for part in args.episodes.split(";")]
    names = args.names.split(",") if args.names else (
        ["train", "val"] if len(parts) == 2 else [f"split{i}" for i in range(len(parts))])
    if len(names) != len(parts):
        raise SettingsError(f"--names gives {len(names)} names for {len(parts)} splits")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise SettingsError(f"--names {args.names!r}: {repeated[0]!r} is given twice; each split needs its own name")
    for name in names:
        layout.check_name(name, f"--names {args.names!r}", "split name", SettingsError)
    return dict(zip(names, parts))


def run(args) -> int:
    if args.output is None:
        args.usage_parser.error("the following arguments are required: --output")
    check_root(args.output, "--output")  # a file in its place, a read-only file system: before any work
    meta = DatasetMeta.load(args.root)
    n = len(meta.episodes)
    if args.operation == "delete":
        with Progress("delete", n - len(set(args.episodes)), "episodes") as bar:
            delete_episodes(args.root, args.output, args.episodes, bar.update)
        print(f"wrote {args.output} without episodes {sorted(set(args.episodes))}")
    elif args.operation == "filter":
        _filter(args, meta)
    elif args.operation == "split":
        splits = _splits(args, n)
        with Progress("split", sum(len(v) for v in splits.values()), "episodes") as bar:
            paths = split_dataset(args.root, args.output, splits, bar.update)
        for name, path in paths.items():
            print(f"{name}: {plural(len(splits[name]), 'episode')} -> {path}")
    else:
        rgb, depth = _encoder_changes(args, "rgb_encoder"), _encoder_changes(args, "depth_encoder")
        if args.operation == "reencode" and rgb is None and depth is None:
            raise SettingsError("reencode needs at least one --rgb_encoder.<field> or --depth_encoder.<field>")
        job = executor_options(args)
        with Progress(args.operation, n, "episodes") as bar:
            if job is not None:
                plan = _run_job(args, rgb, depth, job, bar.update)
            elif args.operation == "reencode":
                plan = reencode_dataset(args.root, args.output, rgb=rgb, depth=depth,
                                        encoder_threads=args.encoder_threads, progress=bar.update)
            else:
                plan = convert_to_video(args.root, args.output, rgb=rgb, depth=depth, progress=bar.update)
        encoded = ", ".join(f"{k} ({c.vcodec})" for k, c in plan.items()) or "nothing (settings unchanged)"
        print(f"wrote {args.output}; encoded {encoded}")
    return 0


def _filter(args, meta: DatasetMeta) -> None:
    if args.success is None and args.tags is None:
        raise SettingsError("filter needs --success true|false|unset and/or --tags TAG[,TAG...]")
    success = success_value(args.success) if args.success is not None else UNCHANGED
    keep = matching_episodes(labels_of(meta), success, tag_list(args.tags or ""))
    if not keep:
        raise DatasetError(f"{args.root}: no episode matches" + (f" --success {args.success}" if args.success else "")
                           + (f" --tags {args.tags}" if args.tags else ""))
    with Progress("filter", len(keep), "episodes") as bar:
        keep_episodes(args.root, args.output, keep, bar.update)
    shown = ", ".join(map(str, keep[:20])) + (", ..." if len(keep) > 20 else "")
    print(f"wrote {args.output} with {plural(len(keep), 'episode')} of {len(meta.episodes)}: {shown}")


def _run_job(args, rgb, depth, job: dict[str, Any], progress) -> dict[str, RGBEncoderConfig]:
    """``reencode``/``convert`` on ``--executor``; returns what was encoded (as the one-process path does)."""
    import lerec.jobs
    from lerec.dataset.editing.edit import encode_plan
    from lerec.dataset.reading.reader import DatasetReader

    with DatasetReader(args.root) as reader:
        if args.operation == "reencode":
            plan = encode_plan(reader, rgb, depth)
        else:
            plan = encode_plan(reader, rgb or {}, depth or {}, reader.image_keys)
    if args.operation == "reencode":
        lerec.jobs.reencode(args.root, args.output, rgb=rgb, depth=depth, encoder_threads=args.encoder_threads,
                            progress=progress, **job)
    else:
        lerec.jobs.convert_to_video(args.root, args.output, rgb=rgb, depth=depth, progress=progress, **job)
    return plan
