"""The ``lerec`` command: one module per subcommand, each with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from lerec.cli.device_options import split_dotted
from lerec.errors import Interrupted, LerecError, SettingsError

INTERRUPTED = 130  # the exit status of a command the user interrupted (128 + SIGINT, as shells report it)


def quiet_codec_banners() -> None:
    """SVT-AV1 and x265 print a banner per encoder; keep their warnings and errors only."""
    import os

    import av

    os.environ.setdefault("SVT_LOG", "1")
    av.logging.set_libav_level(av.logging.ERROR)

# Subcommand modules under lerec.cli, in the order `lerec --help` lists them.
SUBCOMMANDS = ("record", "info", "validate", "merge", "edit", "view", "encoders", "cameras", "robots",
               "convert_depth")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lerec", description="Record and edit LeRobot v3.0 robot datasets.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
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


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()  # imports every subcommand: the first second of a run
    except KeyboardInterrupt:
        print("lerec: interrupted", file=sys.stderr)
        return INTERRUPTED
    argv, dotted = split_dotted(sys.argv[1:] if argv is None else list(argv))  # --robot.<option>=... of `record`
    args = parser.parse_args(argv)
    args.dotted = dotted
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    quiet_codec_banners()
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


if __name__ == "__main__":
    sys.exit(main())
