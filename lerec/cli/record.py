"""``lerec record``: record episodes from cameras into a LeRobot v3.0 dataset (LeRobot's flag names)."""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
from pathlib import Path

import anyio
import numpy as np

from lerec.cli.camera_options import DEFAULT_CAMERAS, parse_cameras
from lerec.cli.encoder_flags import add_encoder_arguments, encoder_config_from_args
from lerec.cli.record_display import show_status
from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.errors import LerecError
from lerec.recording import Recorder

SYNTHETIC_JOINTS = 6


def _bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "record", help="record episodes from cameras into a dataset",
        description="Record episodes into a LeRobot v3.0 dataset. With no --cameras, two synthetic cameras "
        "(no hardware needed). Ctrl-C ends the current episode, saves it and stops.",
    )
    d = p.add_argument_group("dataset")
    d.add_argument("--dataset.root", dest="root", help="dataset folder (default: $HF_LEROBOT_HOME/REPO_ID)")
    d.add_argument("--dataset.repo_id", dest="repo_id", default="local/lerec_demo", help="default: local/lerec_demo")
    d.add_argument("--dataset.fps", dest="fps", type=int, default=30, help="dataset clock (default: 30)")
    d.add_argument("--dataset.num_episodes", dest="num_episodes", type=int, default=2, help="default: 2")
    d.add_argument("--dataset.episode_time_s", dest="episode_time_s", type=float, default=10.0, help="default: 10")
    d.add_argument("--dataset.reset_time_s", dest="reset_time_s", type=float, default=0.0,
                   help="pause between episodes (default: 0)")
    d.add_argument("--dataset.single_task", dest="task", default="demo task", help="the task of every episode")
    d.add_argument("--dataset.encoder_threads", dest="encoder_threads", type=int, default=None,
                   help="threads per encoder (default: the cores shared among the streams, at least 1 each)")
    d.add_argument("--dataset.encoder_queue_maxsize", dest="encoder_queue_maxsize", type=int, default=60,
                   help="frames per stream held in memory before spilling to disk (default: 60)")
    d.add_argument("--dataset.streaming_encoding", dest="streaming_encoding", type=_bool, default=True,
                   help="encode while recording (default: true); false encodes after each episode")
    d.add_argument("--dataset.video", dest="video", type=_bool, default=True,
                   help="store cameras as videos (default: true); false stores PNG images in the parquet")
    d.add_argument("--dataset.convert_depth", dest="convert_depth", type=_bool, default=True,
                   help="depth is captured losslessly with FFV1 (fast) and converted to LeRobot's lossless HEVC when "
                   "the session ends (default: true); false leaves that to `lerec convert-depth`")
    d.add_argument("--resume", type=_bool, nargs="?", const=True, default=False, metavar="true|false",
                   help="(bare --resume means true) add episodes to an existing dataset (same fps, cameras and encoder settings)")
    p.add_argument("--cameras", default=DEFAULT_CAMERAS,
                   help="cameras as YAML/JSON, or a file: '{front: {type: synthetic, width: 640, height: 480, fps: 30}}'")
    p.add_argument("--robot.type", dest="robot_type", default="synthetic", choices=["synthetic", "none"],
                   help="synthetic: 6 joints of made-up observation.state and action; none: cameras only")
    add_encoder_arguments(p, "dataset.rgb_encoder", RGBEncoderConfig)
    add_encoder_arguments(p, "dataset.depth_encoder", DepthEncoderConfig)
    p.set_defaults(func=run)


def _root(args) -> Path:
    if args.root:
        return Path(args.root)
    home = Path(os.environ.get("HF_LEROBOT_HOME", Path.home() / ".cache/huggingface/lerobot"))
    return home / args.repo_id


def synthetic_robot(fps: int):
    """A stand-in robot: smooth joint positions and the actions that lead to them."""
    tick = 0

    def step():
        nonlocal tick
        t = tick / fps
        tick += 1
        state = np.sin(t + np.arange(SYNTHETIC_JOINTS)).astype(np.float32)
        action = np.sin(t + 1 / fps + np.arange(SYNTHETIC_JOINTS)).astype(np.float32)
        return {"observation.state": state, "action": action}

    names = [f"joint_{i}" for i in range(SYNTHETIC_JOINTS)]
    features = {
        "observation.state": {"dtype": "float32", "shape": [SYNTHETIC_JOINTS], "names": names},
        "action": {"dtype": "float32", "shape": [SYNTHETIC_JOINTS], "names": names},
    }
    return step, features


async def _record(args) -> int:
    cameras = parse_cameras(args.cameras)
    rgb = encoder_config_from_args(args, "dataset.rgb_encoder", RGBEncoderConfig)
    depth = encoder_config_from_args(args, "dataset.depth_encoder", DepthEncoderConfig)
    step, features = synthetic_robot(args.fps) if args.robot_type == "synthetic" else (None, None)
    root = _root(args)
    stopping = False
    async with Recorder.create(
        root, args.fps, cameras, features, robot_type=args.robot_type, rgb_encoder=rgb, depth_encoder=depth,
        encoder_threads=args.encoder_threads, encoder_queue_maxsize=args.encoder_queue_maxsize,
        streaming_encoding=args.streaming_encoding, video=args.video, resume=args.resume,
        convert_depth=args.convert_depth,
    ) as rec:
        async with anyio.create_task_group() as tg:

            async def on_signals():
                nonlocal stopping
                with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                    async for _ in signals:
                        if stopping:
                            raise KeyboardInterrupt
                        stopping = True
                        print("\nstopping: saving the current episode (Ctrl-C again to abort it)", file=sys.stderr)
                        rec.request_stop()

            tg.start_soon(on_signals)
            tg.start_soon(show_status, rec)
            first = rec.num_episodes
            for n in range(args.num_episodes):
                report = await rec.record_episode(args.task, args.episode_time_s, step=step)
                print(report.summary(), file=sys.stderr)
                if stopping:
                    break
                if n + 1 < args.num_episodes and args.reset_time_s > 0:
                    print(f"reset: {args.reset_time_s:g} s", file=sys.stderr)
                    with anyio.move_on_after(args.reset_time_s):
                        while not stopping:
                            await anyio.sleep(0.1)
                    if stopping:
                        break
            tg.cancel_scope.cancel()
        total = rec.num_episodes
    print(f"saved {total - first} episode(s) to {root} ({total} in the dataset)")
    return 0


def run(args) -> int:
    if args.num_episodes < 1 or not math.isfinite(args.episode_time_s) or args.episode_time_s <= 0:
        raise LerecError("--dataset.num_episodes must be >= 1 and --dataset.episode_time_s > 0")
    return anyio.run(_record, args)
