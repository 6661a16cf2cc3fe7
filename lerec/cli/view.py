"""``lerec view ROOT --episode N [--save FILE.rrd]``: an episode's cameras, depth and numeric features in rerun."""

from __future__ import annotations

import numpy as np

from lerec.cli.progress import Progress
from lerec.dataset.reader import DatasetReader
from lerec.errors import LerecError

SKIP_COLUMNS = ("timestamp", "frame_index", "episode_index", "index", "task_index")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "view", help="show an episode in rerun (needs the 'view' extra: pip install 'lerec[view]')",
        description="Show one episode's cameras, depth (as a depth image with a colour map) and numeric features "
        "on a timeline in the rerun viewer, or save them to an .rrd file where no screen is attached.")
    p.add_argument("root", help="dataset folder")
    p.add_argument("--episode", type=int, required=True, help="episode index")
    p.add_argument("--save", metavar="FILE.rrd", help="write a recording file instead of opening the viewer")
    p.set_defaults(func=run)


def _import_rerun():
    try:
        import rerun as rr
    except ImportError:
        raise LerecError("lerec view needs rerun-sdk, an optional extra: pip install 'lerec[view]'") from None
    return rr


def _set_time(rr, frame: int, seconds: float) -> None:
    if hasattr(rr, "set_time"):
        rr.set_time("frame", sequence=frame)
        rr.set_time("time", duration=seconds)
    else:  # rerun < 0.23
        rr.set_time_sequence("frame", frame)
        rr.set_time_seconds("time", seconds)


def _scalars(rr, values: np.ndarray):
    return rr.Scalars(values) if hasattr(rr, "Scalars") else rr.Scalar(float(values[0]))


def log_episode(rr, reader: DatasetReader, e: int, progress=lambda n: None) -> None:
    """Log every frame of episode ``e``: images, depth images (mm, colour-mapped) and numeric features."""
    rows = reader.rows(e)
    numeric = {k: np.asarray(v, dtype=np.float64).reshape(len(v), -1) for k, v in rows.items()
               if k not in SKIP_COLUMNS and isinstance(v, np.ndarray) and v.dtype.kind in "fiub"}
    streams = reader.video_keys + reader.image_keys
    for i in range(reader.length(e)):
        _set_time(rr, i, i / reader.fps)
        for key, frame in reader.frame(e, i, streams).items():
            if key in reader.depth_keys or frame.shape[-1] == 1:
                rr.log(key, rr.DepthImage(frame[..., 0], meter=1000.0, colormap="turbo"))
            else:
                rr.log(key, rr.Image(frame))
        for key, values in numeric.items():
            if hasattr(rr, "Scalars"):
                rr.log(key, _scalars(rr, values[i]))
            else:
                for j, value in enumerate(values[i]):
                    rr.log(f"{key}/{j}", rr.Scalar(float(value)))
        progress(1)


def run(args) -> int:
    rr = _import_rerun()
    with DatasetReader(args.root, depth_output_unit="mm") as reader:
        reader.episode(args.episode)
        rr.init("lerec_view", spawn=not args.save)
        if args.save:
            rr.save(args.save)
        with Progress("view", reader.length(args.episode), "frames") as bar:
            log_episode(rr, reader, args.episode, bar.update)
    if args.save:
        if hasattr(rr, "disconnect"):
            rr.disconnect()
        print(f"saved episode {args.episode} to {args.save}")
    return 0
