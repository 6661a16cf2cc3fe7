"""``lerec replay``: send a recorded episode's actions back to a robot (LeRobot's ``lerobot-replay``)."""

from __future__ import annotations

import signal
import sys

import anyio

from lerec.cli.device_options import device_config
from lerec.errors import Interrupted, LerecError, SettingsError, single_error
from lerec.recording.replay import replay


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "replay", help="send a recorded episode's actions to a robot",
        description="Send episode N's recorded actions to the robot at the dataset's fps. The robot must take the "
        "action features the dataset recorded (else nothing is sent). Ctrl-C, or a robot error, stops the "
        "sending at once and closes the robot where the last action left it.",
    )
    p.add_argument("root", help="the dataset folder")
    p.add_argument("--episode", type=int, required=True, help="the episode index")
    p.add_argument("--robot", default=None, metavar="SPEC",
                   help="the robot, as lerec record's --robot ('{type: synthetic}', --robot.type=TYPE "
                   "--robot.<option>=VALUE)")
    p.set_defaults(func=run)


async def _replay(args, robot) -> int:
    sent, total = 0, None

    def progress(n: int, length: int) -> None:
        nonlocal sent, total
        if n == 1:
            print(f"replaying episode {args.episode}: {length} actions (Ctrl-C stops)", file=sys.stderr, flush=True)
        sent, total = n, length

    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        try:
            async with anyio.create_task_group() as tg:
                async def watch() -> None:
                    async for _ in signals:
                        tg.cancel_scope.cancel()
                        return
                tg.start_soon(watch)
                await replay(args.root, args.episode, robot, progress)
                tg.cancel_scope.cancel()
                print(f"replayed episode {args.episode}: {sent} actions")
                return 0
        except BaseExceptionGroup as group:
            raise single_error(group, LerecError) from None
    raise Interrupted(f"stopped after {sent} of {total if total is not None else '?'} actions; nothing more sent")


def run(args) -> int:
    dotted = (getattr(args, "dotted", None) or {}).get("robot")
    robot = device_config("robot", args.robot, dotted)
    if robot is None:
        raise SettingsError("--robot is required: the robot to send the actions to (--robot.type=TYPE ...)")
    if args.episode < 0:
        raise SettingsError(f"--episode={args.episode}: expected an episode index >= 0")
    result = anyio.run(_replay, args, robot)
    sys.stdout.flush()
    return result
