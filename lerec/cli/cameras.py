"""``lerec cameras``: the installed camera types, and with ``--find`` the devices each one sees."""

from __future__ import annotations

import argparse
import inspect
import textwrap
from collections.abc import Callable

import attrs
import yaml

from lerec.cameras.registry import RegisteredCameraType, camera_types
from lerec.cameras.registry_types import FoundCamera
from lerec.errors import SettingsError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "cameras",
        help="list camera types (and with --find, connected cameras)",
        description="List the installed camera types with the distribution providing each. With --find, ask "
        "every camera type for the devices it sees and print the entry to paste into `lerec record --cameras`. "
        "With --options, the options each type takes in --cameras: name, type, default and meaning, read from "
        "the type's config class.",
    )
    add_listing_arguments(parser, "camera")
    parser.set_defaults(func=run)


def add_listing_arguments(parser: argparse.ArgumentParser, kind: str) -> None:
    """The flags of a command listing the installed types of a device kind (``lerec cameras``, ``lerec sensors``)."""
    parser.add_argument("--find", action="store_true", help=f"list connected devices, per {kind} type")
    parser.add_argument("--options", nargs="?", const="", metavar="TYPE",
                        help=f"the options of {kind} type TYPE (of every installed type when TYPE is left out)")
    parser.add_argument("--type", dest="types", action="append", metavar="TYPE", help=f"only this {kind} type")


def cameras_entry(name: str, type_name: str, found: FoundCamera) -> str:
    """One ``--cameras`` entry, e.g. ``opencv_0: {type: opencv, index_or_path: /dev/video0}``."""
    options = {"type": type_name, **found.options}
    flow = yaml.safe_dump(options, default_flow_style=True, sort_keys=False, width=10_000).strip()
    return f"{name}: {flow}"


def _selected(types: list[str] | None) -> dict[str, RegisteredCameraType]:
    installed = camera_types()
    unknown = sorted(set(types or ()) - set(installed))
    if unknown:
        raise SettingsError(f"unknown camera type {', '.join(unknown)}; installed: {', '.join(sorted(installed))}")
    return {name: reg for name, reg in sorted(installed.items()) if not types or name in types}


def list_types(selected: dict[str, RegisteredCameraType]) -> None:
    rows = [(name, f"{reg.distribution} {reg.version}", reg.type.description) for name, reg in selected.items()]
    widths = [max(len(row[i]) for row in [("TYPE", "DISTRIBUTION", ""), *rows]) for i in range(2)]
    print(f"{'TYPE':<{widths[0]}}  {'DISTRIBUTION':<{widths[1]}}  DESCRIPTION")
    for name, dist, description in rows:
        print(f"{name:<{widths[0]}}  {dist:<{widths[1]}}  {description}")


def print_found(label: str, reg, flag) -> bool:
    """Print what one type's ``find`` sees, each device with ``flag(index, device)``, the text to paste into
    ``lerec record``; False if ``find`` failed (reported, so that the other types still run)."""
    if reg.type.find is None:
        print(f"# {label} ({reg.distribution}): cannot list devices")
        return True
    try:
        found = reg.type.find()
    except Exception as exc:  # a plugin's find must not hide the other plugins' devices
        print(f"# {label} ({reg.distribution}): error: {exc}")
        return False
    print(f"# {label} ({reg.distribution}): {len(found)} found")
    for index, device in enumerate(found):
        print(f"#   {device.label}")
        print(f"  {flag(index, device)}")
    return True


def find_devices(selected: dict[str, RegisteredCameraType]) -> int:
    """Print what each camera type's ``find`` sees; exit status 1 if one failed."""
    ok = [print_found(name, reg, lambda i, device: cameras_entry(f"{name}_{i}", name, device))
          for name, reg in selected.items()]
    return 0 if all(ok) else 1


def options_text(name: str, reg: RegisteredCameraType) -> str:
    """A camera type's ``--cameras`` options, generated from its attrs config class (help from each field's
    ``metadata["help"]``; the class docstring says how they work together)."""
    cls = reg.type.config_class
    lines = [f"{name} ({reg.distribution}): {reg.type.description}".rstrip(": ")]
    doc = inspect.cleandoc(cls.__doc__ or "").replace("``", "`")
    if doc:
        lines += textwrap.wrap(" ".join(doc.split()), 110, initial_indent="  ", subsequent_indent="  ")
    if not attrs.has(cls):
        return "\n".join([*lines, "  (its config class is not an attrs class: options not listed)"])
    rows = []
    for field in attrs.fields(cls):
        if field.default is attrs.NOTHING:
            default = "required"
        elif isinstance(field.default, attrs.Factory):
            default = repr(field.default.factory())
        else:
            default = repr(field.default)
        kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", str(field.type))
        rows.append((field.name, str(kind or ""), default, field.metadata.get("help", "")))
    widths = [max(len(r[i]) for r in [("OPTION", "TYPE", "DEFAULT", ""), *rows]) for i in range(3)]
    lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(("OPTION", "TYPE", "DEFAULT"), widths)) + "  MEANING")
    for row in rows:
        lines.append(("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[3]).rstrip())
    return "\n".join(lines)


def run_listing(args: argparse.Namespace, selected: Callable[[list[str] | None], dict]) -> int:
    """``--options``, ``--find`` or the list of types, from ``selected(types)`` (the installed types, by name)."""
    if args.options is not None:
        types = [args.options] if args.options else args.types
        print("\n\n".join(options_text(name, reg) for name, reg in selected(types).items()))
        return 0
    chosen = selected(args.types)
    if args.find:
        return find_devices(chosen)
    list_types(chosen)
    return 0


def run(args: argparse.Namespace) -> int:
    return run_listing(args, _selected)
