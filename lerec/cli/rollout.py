"""``lerec rollout``: a policy on the robot, its episodes recorded as ``lerec record`` records (LeRobot's
``lerobot-rollout`` flag names)."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from typing import Any

import anyio
import yaml

from lerec.cli.camera_options import DEFAULT_CAMERAS, parse_camera_settings
from lerec.cli.device_options import device_config
from lerec.cli.encoder_flags import add_encoder_arguments, encoder_config_from_args
from lerec.cli.interrupts import Interrupts
from lerec.cli.keyboard import keyboard_available, read_commands
from lerec.cli.lerobot_flags import flag_bool
from lerec.cli.record_display import show_status
from lerec.cli.record_push import add_push_arguments, check_push_settings, session_push
from lerec.cli.session_flags import add_session_arguments, check_session_flags, root_of, session_values
from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.errors import Interrupted, LerecError, SettingsError, single_error
from lerec.policies import registry as policy_registry
from lerec.recording.rollout import STRATEGIES, Rollout, RolloutSettings
from lerec.recording.settings import check_episode_length, check_root, check_seconds, check_task
from lerec.recording.rollout_rows import RolloutControls
from lerec.robots import SyntheticRobotConfig, SyntheticTeleopConfig

try:  # lerec record's live display (rerun), where this lerec has it: rollout shows the same
    live_display = importlib.import_module("lerec.cli.live_display")
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the branch
    if exc.name != "lerec.cli.live_display":
        raise
    live_display = None

SESSION_FLAGS = ("fps", "encoder_threads", "video", "resume")  # of SessionConfig's flags, those rollout takes
KEYS = {b" ": "pause", b"\t": "correct", b"s": "highlight"}
KEYS_HELP = ("keys: space pauses the policy (again: resumes), Tab takes over with the teleop (again: hands back), "
             "s starts a highlight with the seconds before (again: saves it), -> or n ends the episode, <- or r "
             "records it again, Esc or q saves it and stops")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "rollout", help="run a policy on the robot and record its episodes",
        description="Run a policy on the robot (--policy.path=FOLDER for a LeRobot policy with lerec-lerobot, or "
        "--policy.type=scripted), recording what it does into a LeRobot v3.0 dataset exactly as `lerec record` "
        "does. Strategies: base (drive for --duration, record nothing), episodic (episodes with resets), sentry "
        "(back-to-back episodes until --duration), highlight (the last --strategy.ring_buffer_seconds kept "
        "encoded, saved as an episode with what follows when s is pressed, until s again), dagger (space pauses, "
        "Tab takes over with the teleop and hands back; rows carry `intervention` and `policy_action`). Chunking "
        "policies predict on a worker thread (--inference.type=async, their default): the clock never waits for the model. --policy.<option> sets a "
        "policy type's option. Ctrl-C ends the episode, saves it and stops.",
    )
    pol = p.add_argument_group("policy (LeRobot's dotted flags: --policy.<option>=VALUE sets any option of its type)")
    pol.add_argument("--policy.path", dest="policy_path_help", metavar="FOLDER",
                     help="a LeRobot policy saved with save_pretrained, or a Hub id (needs lerec-lerobot)")
    pol.add_argument("--policy.type", dest="policy_type_help", metavar="TYPE",
                     help="a policy type: scripted (built in), lerobot (with --policy.path)")
    p.add_argument("--strategy.type", dest="strategy", default="episodic", choices=STRATEGIES,
                   help="default: episodic")
    p.add_argument("--strategy.ring_buffer_seconds", dest="ring_buffer_seconds", type=float, default=10.0,
                   help="highlight: seconds before the key kept, already encoded (default: 10)")
    p.add_argument("--inference.type", dest="inference", default=None, choices=("sync", "async"),
                   help="async: chunks predicted off the clock (default for chunking policies); sync: on the clock")
    p.add_argument("--inference.chunk_size_threshold", dest="chunk_size_threshold", type=float, default=0.5,
                   help="ask for the next chunk when this fraction of the current one is left (default: 0.5)")
    p.add_argument("--duration", type=float, default=0.0, help="seconds the rollout runs (0: until its episodes "
                   "are done or it is stopped; base needs it)")
    p.add_argument("--rename_map", default="{}", help="robot/camera feature -> policy feature, as JSON/YAML: "
                   "'{\"observation.images.front\": \"observation.images.top\"}'")
    if live_display is not None:
        live_display.add_display_arguments(p)
    else:
        p.add_argument("--display_data", type=flag_bool, nargs="?", const=True, default=False, metavar="true|false",
                       help="show the cameras and values live (not supported by rollout yet)")
    d = p.add_argument_group("dataset")
    d.add_argument("--dataset.root", dest="root", help="dataset folder (default: $HF_LEROBOT_HOME/REPO_ID)")
    d.add_argument("--dataset.repo_id", dest="repo_id", default="local/rollout_demo",
                   help="default: local/rollout_demo")
    d.add_argument("--dataset.num_episodes", dest="num_episodes", type=int, default=1, help="default: 1")
    d.add_argument("--dataset.episode_time_s", dest="episode_time_s", type=float, default=10.0, help="default: 10")
    d.add_argument("--dataset.reset_time_s", dest="reset_time_s", type=float, default=0.0, help="default: 0")
    d.add_argument("--dataset.single_task", dest="task", default="policy rollout", help="the task of every episode")
    add_session_arguments(d, SESSION_FLAGS)
    add_push_arguments(d)  # sentry's uploads while it records: --dataset.push_to_hub=true --dataset.push_every=N
    p.add_argument("--cameras", default=DEFAULT_CAMERAS, help="cameras as YAML/JSON, or a file (as lerec record)")
    p.add_argument("--robot", default=None, metavar="SPEC", help="the robot, as lerec record's --robot "
                   "(--robot.type=TYPE --robot.<option>=VALUE); default: synthetic")
    p.add_argument("--teleop", default=None, metavar="SPEC", help="the teleop a human corrects with (dagger)")
    add_encoder_arguments(p, "dataset.rgb_encoder", RGBEncoderConfig)
    add_encoder_arguments(p, "dataset.depth_encoder", DepthEncoderConfig)
    p.set_defaults(func=run)


def policy_config(options: dict[str, str] | None) -> Any:
    """The policy config of ``--policy.type``/``--policy.path``/``--policy.<option>``."""
    options = dict(options or {})
    type_name, path = options.pop("type", None), options.get("path")
    if type_name is None and path is None:
        raise SettingsError("a policy is needed: --policy.path=FOLDER (a LeRobot policy) or --policy.type=scripted")
    if type_name is None:
        type_name = policy_registry.type_for_path(path)
    elif path is not None and not policy_registry.takes_path(type_name):
        raise SettingsError(f"--policy.path: policy type {type_name!r} loads no folder")
    values = {name: raw if name == "path" else yaml.safe_load(raw) for name, raw in options.items()}
    return policy_registry.build_config(type_name, values)


def _rename_map(text: str) -> dict[str, str]:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SettingsError(f"--rename_map is not valid JSON/YAML: {exc}") from None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise SettingsError(f"--rename_map must map feature names to feature names, got {json.dumps(value)}")
    return value


def settings_of(args) -> RolloutSettings:
    return RolloutSettings(args.strategy, args.inference, args.chunk_size_threshold, args.num_episodes,
                           args.episode_time_s, args.reset_time_s, args.duration, args.task,
                           _rename_map(args.rename_map), args.ring_buffer_seconds)


async def _rollout(args, interrupts: Interrupts, settings: RolloutSettings, policy: Any) -> int:
    dotted = getattr(args, "dotted", None) or {}
    cameras, _ = parse_camera_settings(args.cameras)
    robot = device_config("robot", args.robot, dotted.get("robot")) or SyntheticRobotConfig()
    teleop = device_config("teleop", args.teleop, dotted.get("teleop"))
    if teleop is None and settings.strategy == "dagger" and args.robot is None and "robot" not in dotted:
        teleop = SyntheticTeleopConfig()
    rgb = encoder_config_from_args(args, "dataset.rgb_encoder", RGBEncoderConfig)
    depth = encoder_config_from_args(args, "dataset.depth_encoder", DepthEncoderConfig)
    root = root_of(args)
    controls = RolloutControls()
    interrupts.setup = anyio.CancelScope()
    interrupts.loop = asyncio.get_running_loop()
    if args.display_data and (live_display is None or settings.strategy in ("base", "highlight")):
        print("lerec rollout: --display_data is not supported yet here; running without it", file=sys.stderr)
    options = dict(rgb_encoder=rgb, depth_encoder=depth, **session_values(args, SESSION_FLAGS))
    try:
        saved = await _episodes(args, interrupts, settings, policy, cameras, robot, teleop, root, controls, options)
    except BaseExceptionGroup as group:
        raise single_error(group, LerecError) from None
    if interrupts.count and not saved:
        raise Interrupted("stopped before the first episode ended")
    if settings.strategy != "base":
        print(f"saved {len(saved)} episode(s) to {root}")
    return 0


async def _episodes(args, interrupts, settings, policy, cameras, robot, teleop, root, controls, options) -> list:
    saved = []
    with interrupts.setup:
        async with session_push(args, root, interrupts) as push, Rollout.create(
                robot, policy, cameras, settings, teleop=teleop, controls=controls, root=root,
                **options) as rollout:
            interrupts.recorder = rollout.recorder
            async with anyio.create_task_group() as tg:
                if rollout.recorder is not None and settings.strategy != "highlight":
                    tg.start_soon(show_status, rollout.recorder, 0.25, None, False)
                    if live_display is not None:
                        await live_display.start_live_display(tg, rollout.recorder, args)
                if keyboard_available():
                    tg.start_soon(read_commands, lambda command: _on_key(rollout, command), None, KEYS)
                    print(KEYS_HELP, file=sys.stderr)
                count = 0

                def on_saved(episode) -> None:
                    nonlocal count
                    count += 1
                    print(episode.summary(), file=sys.stderr)
                    push.episodes_saved(count)  # a background upload when due; never blocks

                saved = await rollout.episodes(on_saved)
                tg.cancel_scope.cancel()
    return saved


def _on_key(rollout: Rollout, command: str) -> None:
    rec, controls = rollout.recorder, rollout.controls
    actions = {"pause": controls.toggle_pause, "correct": controls.toggle_correction, "stop": rollout.stop,
               "highlight": rollout.mark_highlight}
    if rec is not None:
        actions.update(end=rec.end_episode, rerecord=rec.rerecord_episode)
    if command in actions:
        actions[command]()
        print(f"\n{command}: {controls.driver} drives", file=sys.stderr)


def check_settings(args) -> None:
    """The dataset flags' values, before a camera opens or a file is written (SettingsError names the flag)."""
    if args.num_episodes < 1:
        raise SettingsError(f"--dataset.num_episodes={args.num_episodes}: record at least 1 episode")
    fps = check_session_flags(args, SESSION_FLAGS)["fps"]  # --dataset.encoder_threads too
    check_episode_length(args.episode_time_s, fps, "--dataset.episode_time_s")
    check_seconds(args.reset_time_s, "--dataset.reset_time_s")
    check_push_settings(args)
    check_task(args.task, "--dataset.single_task")
    check_root(args.root if args.root is not None else root_of(args),
               "--dataset.root" if args.root is not None else "--dataset.repo_id")
    if live_display is not None:
        live_display.display_settings(args)


def run(args) -> int:
    if args.strategy != "base":
        check_settings(args)
    else:
        check_session_flags(args, ("fps",))
    settings = settings_of(args)
    policy = policy_config((getattr(args, "dotted", None) or {}).get("policy"))
    interrupts = Interrupts()
    interrupts.install()
    try:
        return anyio.run(_rollout, args, interrupts, settings, policy)
    finally:
        interrupts.uninstall()
