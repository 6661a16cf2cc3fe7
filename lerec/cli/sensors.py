"""``lerec sensors``: the installed sensor types, and with ``--find`` the devices each one sees."""

from __future__ import annotations

import argparse

from lerec.cli.cameras import add_listing_arguments, run_listing
from lerec.errors import SettingsError
from lerec.plugins.manager import Provided
from lerec.sensors.registry import sensor_types


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sensors",
        help="list sensor types (and with --find, connected sensors)",
        description="List the installed sensor types (IMUs, microphones, force/torque sensors: recorded at their "
        "own rate beside the cameras with `lerec record --sensors`), with the distribution providing each. With "
        "--find, ask every sensor type for the devices it sees and print the entry to paste into --sensors. With "
        "--options, the options each type takes.",
    )
    add_listing_arguments(parser, "sensor")
    parser.set_defaults(func=run)


def _selected(types: list[str] | None) -> dict[str, Provided]:
    installed = sensor_types()
    unknown = sorted(set(types or ()) - set(installed))
    if unknown:
        raise SettingsError(f"--type: unknown sensor type {', '.join(unknown)}; installed: "
                            f"{', '.join(sorted(installed))}")
    return {name: reg for name, reg in sorted(installed.items()) if not types or name in types}


def run(args: argparse.Namespace) -> int:
    return run_listing(args, _selected)
