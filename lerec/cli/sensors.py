"""``lerec sensors``: the installed sensor types, and with ``--find`` the devices each one sees."""

from __future__ import annotations

import argparse

from lerec.cli.cameras import cameras_entry, list_types, options_text, print_found
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
    parser.add_argument("--find", action="store_true", help="list connected devices, per sensor type")
    parser.add_argument("--options", nargs="?", const="", metavar="TYPE",
                        help="the options of sensor type TYPE (of every installed type when TYPE is left out)")
    parser.add_argument("--type", dest="types", action="append", metavar="TYPE", help="only this sensor type")
    parser.set_defaults(func=run)


def _selected(types: list[str] | None) -> dict[str, Provided]:
    installed = sensor_types()
    unknown = sorted(set(types or ()) - set(installed))
    if unknown:
        raise SettingsError(f"--type: unknown sensor type {', '.join(unknown)}; installed: "
                            f"{', '.join(sorted(installed))}")
    return {name: reg for name, reg in sorted(installed.items()) if not types or name in types}


def run(args: argparse.Namespace) -> int:
    if args.options is not None:
        types = [args.options] if args.options else args.types
        print("\n\n".join(options_text(name, reg) for name, reg in _selected(types).items()))
        return 0
    selected = _selected(args.types)
    if args.find:
        ok = [print_found(name, reg, lambda i, device, name=name: cameras_entry(f"{name}_{i}", name, device))
              for name, reg in selected.items()]
        return 0 if all(ok) else 1
    list_types(selected)
    return 0
