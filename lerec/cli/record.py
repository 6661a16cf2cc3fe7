"""``lerec record``: record episodes from cameras into a LeRobot v3.0 dataset (LeRobot's flag names)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import anyio

from lerec.cameras.synthetic import SyntheticCameraConfig
from lerec.cli.camera_options import DEFAULT_CAMERAS, parse_camera_settings
from lerec.cli.cues import Cues, add_cue_arguments
from lerec.cli.device_options import device_config
from lerec.cli.encoder_flags import add_encoder_arguments, encoder_changes_from_args, encoder_config_from_args
from lerec.cli.interrupts import Interrupts
from lerec.cli.keyboard import HELP as KEYS_HELP
from lerec.cli.keyboard import keyboard_available, read_commands
from lerec.cli.lerobot_flags import add_lerobot_arguments, check_lerobot_flags
from lerec.cli.live_display import add_display_arguments, display_settings, start_live_display
from lerec.cli.sensor_options import EXAMPLE as SENSORS_EXAMPLE
from lerec.cli.sensor_options import parse_sensors
from lerec.cli.record_display import show_status
from lerec.cli.record_push import add_push_arguments, check_push_settings, session_push
from lerec.cli.record_web import DEFAULT_ADDRESS, LiveWeb, parse_address
from lerec.cli.session_flags import add_session_arguments, check_session_flags, root_of, session_values
from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.errors import Interrupted, LerecError, SettingsError, single_error
from lerec.recording import Recorder
from lerec.recording.session_setup import resumed_encoder
from lerec.recording.settings import check_episode_length, check_no_dataset, check_root, check_seconds, check_task
from lerec.robots import SyntheticRobotConfig, SyntheticTeleopConfig


DEMO_TASK = "demo task"  # the task of the synthetic demo, the one recording that may omit --dataset.single_task


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "record", help="record episodes from cameras into a dataset",
        description="Record episodes into a LeRobot v3.0 dataset. With no --cameras, two synthetic cameras, and "
        "with no --robot/--teleop the synthetic robot and teleop (no hardware needed). On a terminal, keys steer "
        "the session: -> or n ends the episode and saves it, <- or r discards it and records it again after the "
        "reset, Esc or q saves it and stops. Ctrl-C ends the current episode, saves it and stops.",
    )
    d = p.add_argument_group("dataset")
    d.add_argument("--dataset.root", dest="root", help="dataset folder (default: $HF_LEROBOT_HOME/REPO_ID)")
    d.add_argument("--dataset.repo_id", dest="repo_id", default="local/lerec_demo", help="default: local/lerec_demo")
    d.add_argument("--dataset.num_episodes", dest="num_episodes", type=int, default=2, help="default: 2")
    d.add_argument("--dataset.episode_time_s", dest="episode_time_s", type=float, default=10.0, help="default: 10")
    d.add_argument("--dataset.reset_time_s", dest="reset_time_s", type=float, default=0.0,
                   help="pause between episodes (default: 0)")
    d.add_argument("--dataset.single_task", dest="task", default=None,
                   help="the task of every episode, e.g. 'pick the cube' (required unless every device is synthetic)")
    add_session_arguments(d)  # --dataset.fps, --dataset.video, --resume, ... (SessionConfig)
    add_push_arguments(d)
    p.add_argument("--cameras", default=DEFAULT_CAMERAS,
                   help="cameras as YAML/JSON, or a file: '{front: {type: synthetic, width: 640, height: 480, fps: 30}}'")
    p.add_argument("--sensors", default=None, metavar="SPEC",
                   help="sensors recorded at their own rate beside the cameras, as YAML/JSON or a file: "
                   f"'{SENSORS_EXAMPLE}' (`lerec sensors` lists types; default: none)")
    p.add_argument("--robot", default=None, metavar="SPEC",
                   help="the robot as YAML/JSON, or a file: '{type: synthetic, joints: 6}'; or LeRobot's dotted "
                   "flags --robot.type=TYPE --robot.<option>=VALUE; 'none': cameras only (`lerec robots` lists types)")
    p.add_argument("--teleop", default=None, metavar="SPEC",
                   help="the teleoperator giving each tick's action, as --robot ('{type: synthetic}', "
                   "--teleop.type=TYPE --teleop.<option>=VALUE); without --robot and --teleop: both synthetic")
    p.add_argument("--web", nargs="?", const=DEFAULT_ADDRESS, default=None, metavar="HOST:PORT",
                   help=f"serve the live page (cameras, timer, warnings; buttons next, re-record, stop, success, "
                   f"failure) on HOST:PORT (bare --web: {DEFAULT_ADDRESS}; a host other than 127.0.0.1 requires "
                   "the token printed in the URL); needs lerec[web]")
    add_encoder_arguments(p, "dataset.rgb_encoder", RGBEncoderConfig)
    add_encoder_arguments(p, "dataset.depth_encoder", DepthEncoderConfig)
    add_cue_arguments(p)
    add_display_arguments(p)
    add_lerobot_arguments(p)
    p.set_defaults(func=run)


def _encoder(args, root: Path, prefix: str, config_cls: type) -> Any:
    """The encoder config the ``--{prefix}.<field>`` flags describe. With --resume: the dataset's settings with
    the flags given applied, for the recorder to refuse where they differ; None when no flag is given (the
    recorder takes the dataset's settings)."""
    config = encoder_config_from_args(args, prefix, config_cls)
    if not args.resume:
        return config
    changes = encoder_changes_from_args(args, prefix, config_cls)
    return resumed_encoder(root, config_cls is DepthEncoderConfig, changes) or config if changes else None


def _task(task: str | None, configs: list) -> str:
    """The task of every episode: required, except for the synthetic demo (every device synthetic)."""
    if task is not None:
        return task
    synthetic = (SyntheticCameraConfig, SyntheticRobotConfig, SyntheticTeleopConfig, type(None))
    if all(isinstance(config, synthetic) for config in configs):
        return DEMO_TASK
    raise SettingsError("--dataset.single_task is required: the task of every episode, e.g. "
                        "--dataset.single_task='pick the cube' (only the synthetic demo records without one)")


def devices(args) -> tuple[object | None, object | None]:
    """The robot and teleop configs of the command line: both synthetic when neither is given."""
    dotted = getattr(args, "dotted", None) or {}
    robot = device_config("robot", args.robot, dotted.get("robot"))
    teleop = device_config("teleop", args.teleop, dotted.get("teleop"))
    if args.robot is None and args.teleop is None and not dotted:
        return SyntheticRobotConfig(), SyntheticTeleopConfig()
    if robot is not None and teleop is None:
        raise SettingsError("--robot needs --teleop: lerec record takes each tick's action from a teleoperator "
                            "(`lerec robots` lists the installed types; from Python, a policy can give them)")
    if teleop is not None and robot is None:
        raise SettingsError("--teleop needs --robot: the teleoperator's actions drive a robot")
    return robot, teleop


async def _record(args, interrupts: Interrupts) -> int:
    cameras, per_camera = parse_camera_settings(args.cameras)
    max_frame_age_s = {name: per_camera[name].get("max_frame_age_s", args.max_frame_age_s) for name in cameras}
    root = root_of(args)
    rgb = _encoder(args, root, "dataset.rgb_encoder", RGBEncoderConfig)
    depth = _encoder(args, root, "dataset.depth_encoder", DepthEncoderConfig)
    robot, teleop = devices(args)
    args.task = _task(args.task, [*cameras.values(), robot, teleop])
    interrupts.setup = anyio.CancelScope()
    interrupts.loop = asyncio.get_running_loop()
    if interrupts.count:
        interrupts.setup.cancel()
    try:
        first, total = await _record_session(args, root, cameras, rgb, depth, robot, teleop, max_frame_age_s,
                                             interrupts)
    except BaseExceptionGroup as group:
        raise single_error(group, LerecError) from None
    finally:
        interrupts.loop = None
    if first is None:
        raise Interrupted(f"stopped before the first episode; nothing was recorded into {root}")
    saved = f"saved {total - first} episode(s) to {root} ({total} in the dataset)"
    if interrupts.count >= 2:
        raise Interrupted(saved)  # the save was done before the second Ctrl-C came
    print(saved)
    return 0


async def _record_session(args, root, cameras, rgb, depth, robot, teleop, max_frame_age_s, interrupts: Interrupts):
    """Record the episodes; (episodes before, episodes after), or (None, None) if stopped while setting up."""
    with interrupts.setup:
        settings = {**session_values(args), "max_frame_age_s": max_frame_age_s}
        async with session_push(args, root, interrupts) as push, Recorder.create(
            root, cameras=cameras, rgb_encoder=rgb, depth_encoder=depth, robot=robot, teleop=teleop,
            sensors=args.sensor_configs, **settings,
        ) as rec:
            interrupts.recorder = rec
            first = rec.num_episodes
            web = LiveWeb(rec, first, args.web) if args.web else None
            cues = Cues(args.play_sounds)
            async with anyio.create_task_group() as tg:
                if web is not None:
                    tg.start_soon(web.serve)
                keys = keyboard_available()
                tg.start_soon(show_status, rec, 0.25, None, keys)
                await start_live_display(tg, rec, args)
                if keys:
                    tg.start_soon(read_commands, lambda command: _on_key(rec, command))
                    print(KEYS_HELP, file=sys.stderr)
                while rec.num_episodes - first < args.num_episodes:
                    cues.episode_start(rec.num_episodes)
                    report = await rec.record_episode(args.task, args.episode_time_s)
                    push.episodes_saved(rec.num_episodes - first)
                    if report.length or not rec.stopped:
                        print(report.summary(), file=sys.stderr)
                        cues.episode_end(report)
                    if interrupts.count or rec.stopped:
                        break
                    if (report.discarded or rec.num_episodes - first < args.num_episodes) and args.reset_time_s > 0:
                        print(f"reset: {args.reset_time_s:g} s (-> or n: skip it)", file=sys.stderr)
                        cues.reset()
                        await rec.reset(args.reset_time_s)
                        if interrupts.count or rec.stopped:
                            break
                tg.cancel_scope.cancel()
            cues.close()
            total = rec.num_episodes
        return first, total
    return None, None


def _on_key(rec: Recorder, command: str) -> None:
    if command in ("success", "failure"):
        index = rec.mark_success(command == "success")
        print(f"\nepisode {index}: {command}" if index is not None else "\nno episode to label yet", file=sys.stderr)
        return
    {"end": rec.end_episode, "rerecord": rec.rerecord_episode, "stop": rec.stop}[command]()
    if command == "stop":
        print("\nstopping: saving the current episode", file=sys.stderr)


def check_settings(args) -> None:
    """Every flag's value, before a camera opens or a file is written (SettingsError names the flag)."""
    check_lerobot_flags(args)
    display_settings(args)
    if args.num_episodes < 1:
        raise SettingsError(f"--dataset.num_episodes={args.num_episodes}: record at least 1 episode")
    fps = check_session_flags(args)["fps"]  # --dataset.encoder_threads, --dataset.max_frame_age_s, ... too
    check_episode_length(args.episode_time_s, fps, "--dataset.episode_time_s")
    check_seconds(args.reset_time_s, "--dataset.reset_time_s")
    if args.task is not None:
        check_task(args.task, "--dataset.single_task")
    args.sensor_configs = parse_sensors(getattr(args, "sensors", None))  # built here: every option checked
    if args.web is not None:
        parse_address(args.web)
    option = "--dataset.root" if args.root is not None else "--dataset.repo_id"
    root = check_root(args.root if args.root is not None else root_of(args), option)  # "" is refused, not "."
    if not args.resume:
        check_no_dataset(root, option, "--resume")
    check_push_settings(args)


def run(args) -> int:
    check_settings(args)
    interrupts = Interrupts()
    interrupts.install()
    try:
        return anyio.run(_record, args, interrupts)
    finally:
        interrupts.uninstall()
