"""The ``lerec`` command: one module per subcommand, each with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from lerec import __version__
from lerec.cli.device_options import split_dotted
from lerec.errors import Interrupted, LerecError, SettingsError

INTERRUPTED = 130  # the exit status of a command the user interrupted (128 + SIGINT, as shells report it)


# Subcommand modules under lerec.cli, in the order `lerec --help` lists them.
SUBCOMMANDS = ("record", "rollout", "replay", "info", "validate", "merge", "edit", "label", "push", "view",
               "review", "encoders", "cameras", "sensors", "robots", "convert_depth")


class LerecParser(argparse.ArgumentParser):
    """An argument parser that takes flags only as written (no prefix matching: ``--dataset.num_episode`` is not
    ``--dataset.num_episodes``) and reports a usage error on one line, with a pointer to ``--help`` instead of the
    whole usage. Subparsers are made of this class too."""

    def __init__(self, *args, **kwargs):
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        command = " ".join(self.prog.split()[:2])  # "lerec edit", also for "lerec edit ROOT delete"
        self.exit(2, f"{command}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = LerecParser(prog="lerec", description="Record and edit LeRobot v3.0 robot datasets.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("--version", action="version", version=f"lerec {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"lerec.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"lerec.cli.{name}":
                continue
            raise
        module.register(subparsers)
    return parser


def _innermost_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub)parser of the (sub)command ``args`` selected: its flags are the ones to suggest."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = action.choices.get(getattr(args, action.dest, None) or "")
            if chosen is not None:
                return _innermost_parser(chosen, args)
    return parser


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse ``argv``; an unknown flag is reported on one line with the closest flag its subcommand has."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        from lerec.encoding.codec_options import suggest

        sub = _innermost_parser(parser, args)
        flags = [flag for action in sub._actions for flag in action.option_strings]
        hints = "".join(suggest(text.split("=", 1)[0], flags, n=1) for text in unknown if text.startswith("-"))
        if {"-v", "--verbose"} & set(unknown):
            hints += f"; -v goes before the command: lerec -v {args.command}"
        what = "argument" if len(unknown) == 1 else "arguments"
        sub.error(f"unrecognized {what}: {' '.join(unknown)}{hints}")
    return args


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()  # imports every subcommand: the first second of a run
    except KeyboardInterrupt:
        print("lerec: interrupted", file=sys.stderr)
        return INTERRUPTED
    argv, dotted = split_dotted(sys.argv[1:] if argv is None else list(argv))  # --robot.<option>=... of `record`
    args = _parse(parser, argv)
    args.dotted = dotted
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except SettingsError as exc:  # a bad setting, like a malformed flag: nothing was written
        print(f"lerec {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Interrupted as exc:
        print(f"lerec {args.command}: interrupted: {exc}", file=sys.stderr)
        return INTERRUPTED
    except LerecError as exc:
        print(f"lerec {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"lerec {args.command}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # The reader (``| head``) left: no traceback, and none from Python flushing stdout at exit either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
