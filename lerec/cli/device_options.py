"""``--robot`` / ``--teleop`` as users write them: YAML/JSON inline or a file (as ``--cameras``), and LeRobot's
dotted flags (``--robot.type=so101_follower --robot.port=/dev/ttyACM0 --robot.id=left``), which may add to or
override a mapping given with ``--robot``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import yaml

from lerec.cli.yaml_text import load_yaml, read_text_file
from lerec.errors import SettingsError
from lerec.robots.registry import build_config, device_types

KINDS = ("robot", "teleop")
# The dotted flags each command takes (--policy.<option> are a policy type's options, as --robot.<option>).
DOTTED = {"record": KINDS, "rollout": (*KINDS, "policy"), "replay": ("robot",)}
NONE = "none"  # --robot=none / --robot.type=none: record cameras only


def split_dotted(argv: list[str]) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Take the dotted ``--robot.<option>``/``--teleop.<option>`` flags out of a ``lerec record`` command line
    (``=value`` or the next word), and ``--policy.<option>`` out of ``lerec rollout``'s; argparse parses the rest."""
    command = next((i for i, word in enumerate(argv) if not word.startswith("-")), None)
    if command is None or argv[command] not in DOTTED:
        return argv, {}
    kinds = DOTTED[argv[command]]
    rest, dotted = argv[: command + 1], {kind: {} for kind in kinds}
    words = iter(argv[command + 1:])
    for word in words:
        kind = next((k for k in kinds if word.startswith(f"--{k}.")), None)
        if kind is None:
            rest.append(word)
            continue
        name, has_value, value = word[len(kind) + 3:].partition("=")
        if not has_value:
            value = next(words, None)
            if value is None:  # argparse reports it
                rest.append(word)
                break
        dotted[kind][name] = value
    return rest, {kind: options for kind, options in dotted.items() if options}


def _spec(kind: str, text: str) -> dict[str, Any]:
    source = text[1:] if text.startswith("@") else text
    path = Path(source)
    if source and "{" not in source and ("/" in source or path.suffix in (".yaml", ".yml", ".json")):
        if not path.is_file():
            raise SettingsError(f"--{kind}: file {source!r} not found")
        source = read_text_file(path, f"--{kind}")
    spec = load_yaml(source, f"--{kind}", top_level_key="option")
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, dict) or "type" not in spec:
        raise SettingsError(f"--{kind} must be a mapping with a type, e.g. '{{type: synthetic}}'; got {text!r}")
    return dict(spec)


def _value(kind: str, type_name: str, name: str, raw: str) -> Any:
    """A dotted flag's text as its option's type: YAML scalars, but text for options declared as ``str``."""
    fields = {}
    registered = device_types(kind).get(type_name)
    if registered is not None and attrs.has(registered.type.config_class):
        fields = {f.name: str(f.type) for f in attrs.fields(registered.type.config_class)}
    if "str" in fields.get(name, "") and raw.lower() not in ("null", "none", "~"):
        return raw
    return yaml.safe_load(raw)


def device_config(kind: str, text: str | None, dotted: dict[str, str] | None) -> Any | None:
    """The config of ``--robot``/``--teleop`` (with its dotted flags), None when not given or ``none``."""
    if text is None and not dotted:
        return None
    spec = _spec(kind, text) if text is not None else {}
    dotted = dict(dotted or {})
    if "type" in dotted:
        spec["type"] = dotted.pop("type")
    if "type" not in spec:
        raise SettingsError(f"--{kind}.{next(iter(dotted))} needs --{kind}.type (`lerec robots` lists the types)")
    type_name = str(spec.pop("type"))
    if type_name == NONE:
        return None
    for name, raw in dotted.items():
        target, *path = name.split(".")
        if path:  # --robot.cameras.front.width=640: a nested mapping
            node = spec.setdefault(target, {})
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = yaml.safe_load(raw)
        else:
            spec[target] = _value(kind, type_name, target, raw)
    return build_config(kind, type_name, spec)
