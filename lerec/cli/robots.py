"""``lerec robots``: the installed robot and teleoperator types, and with ``--find`` the devices each one sees."""

from __future__ import annotations

import argparse

import yaml

from lerec.cli.cameras import print_found
from lerec.errors import SettingsError
from lerec.robots.registry import KINDS, device_types


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "robots",
        help="list robot and teleop types (and with --find, connected devices)",
        description="List the installed robot and teleoperator types with the distribution providing each. With "
        "--find, ask every type for the devices it sees and print the flag to paste into `lerec record`.",
    )
    parser.add_argument("--find", action="store_true", help="list connected devices, per type")
    parser.add_argument("--type", dest="types", action="append", metavar="TYPE", help="only this type")
    parser.set_defaults(func=run)


def _selected(types: list[str] | None) -> list[tuple[str, str, object]]:
    rows = [(kind, name, reg) for kind in KINDS for name, reg in sorted(device_types(kind).items())]
    unknown = sorted(set(types or ()) - {name for _, name, _ in rows})
    if unknown:
        raise SettingsError(f"unknown robot/teleop type {', '.join(unknown)}; installed: "
                         f"{', '.join(sorted({name for _, name, _ in rows}))}")
    return [row for row in rows if not types or row[1] in types]


def list_types(selected) -> None:
    rows = [(kind, name, f"{reg.distribution} {reg.version}", reg.type.description) for kind, name, reg in selected]
    header = ("KIND", "TYPE", "DISTRIBUTION", "")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    print(f"{'KIND':<{widths[0]}}  {'TYPE':<{widths[1]}}  {'DISTRIBUTION':<{widths[2]}}  DESCRIPTION")
    for kind, name, dist, description in rows:
        print(f"{kind:<{widths[0]}}  {name:<{widths[1]}}  {dist:<{widths[2]}}  {description}")


def device_flag(kind: str, type_name: str, options: dict) -> str:
    """The ``--robot='{type: ..., ...}'`` flag that records from a found device."""
    flow = yaml.safe_dump({"type": type_name, **options}, default_flow_style=True, sort_keys=False,
                          width=10_000).strip()
    return f"--{kind}='{flow}'"


def find_devices(selected) -> int:
    """Print what each type's ``find`` sees; exit status 1 if one failed."""
    ok = [print_found(f"{kind} {name}", reg, lambda _, device: device_flag(kind, name, device.options))
          for kind, name, reg in selected]
    return 0 if all(ok) else 1


def run(args: argparse.Namespace) -> int:
    selected = _selected(args.types)
    if args.find:
        return find_devices(selected)
    list_types(selected)
    return 0
