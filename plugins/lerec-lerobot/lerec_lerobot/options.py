"""lerec config classes for LeRobot's config classes: the options users write in ``--robot`` / ``--teleop``.

Each LeRobot type gets a frozen attrs class with one field per field of its dataclass (so lerec lists the options,
refuses unknown ones and keeps ``--robot.id=007`` as text). An option left out stays LeRobot's default: only the
options given are decoded, by draccus, into LeRobot's own config — exactly as ``lerobot-record`` decodes its
``--robot.*`` flags — when the config is built, so a bad value fails before anything is opened.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

import attrs
import draccus


class _Unset:
    def __repr__(self) -> str:
        return "<LeRobot default>"


UNSET: Any = _Unset()
CAMERAS_HINT = "the robot's cameras are lerec cameras: give them with --cameras (see lerec-lerobot's README)"


def _no_cameras(_, attribute, value) -> None:
    if value is not UNSET and value:
        raise ValueError(f"option cameras: {CAMERAS_HINT}")


def _text_type(tp: Any) -> type | None:
    """``str`` for options LeRobot declares as text (``str``, ``str | None``), so lerec keeps ``007`` as text."""
    args = set(typing.get_args(tp)) if isinstance(tp, types.UnionType) else {tp}
    return str if args and args <= {str, type(None)} and str in args else None


def _check_cameras(config: Any, path: str = "") -> None:
    """Refuse cameras anywhere in the options or the decoded config (bimanual robots nest them per arm)."""
    if dataclasses.is_dataclass(config):
        config = {field.name: getattr(config, field.name) for field in dataclasses.fields(config)}
    if not isinstance(config, dict):
        return
    for name, value in config.items():
        if name == "cameras" and value:
            raise ValueError(f"option {path}cameras: {CAMERAS_HINT}")
        _check_cameras(value, f"{path}{name}.")


def lerobot_config(options: Any) -> Any:
    """The LeRobot config an options object stands for (decoded by draccus, with no cameras)."""
    cls = type(options).lerobot_class
    given = {name: value for name, value in attrs.asdict(options, recurse=False).items() if value is not UNSET}
    _check_cameras(given)  # before decoding: LeRobot's camera types may not even be registered
    if "cameras" in {f.name for f in dataclasses.fields(cls)}:
        given["cameras"] = {}  # LeKiwi's default names two cameras: lerec records its own
    try:
        config = draccus.decode(cls, given)
    except Exception as exc:  # draccus' DecodingError, or the dataclass' own __post_init__ check
        raise ValueError(f"{cls.__name__}: {exc}") from exc
    _check_cameras(config)
    return config


def options_class(lerobot_class: type) -> type:
    """A frozen attrs class for the options of ``lerobot_class`` (a LeRobot ``RobotConfig`` or
    ``TeleoperatorConfig`` subclass), validated by building that config."""
    fields = {}
    for field in dataclasses.fields(lerobot_class):
        validator = _no_cameras if field.name == "cameras" else None
        fields[field.name] = attrs.field(default=UNSET, type=_text_type(field.type), validator=validator)
    name = f"{lerobot_class.__name__}Options"
    base = type(name, (LeRobotOptions,), {"lerobot_class": lerobot_class})
    cls = attrs.make_class(name, fields, bases=(base,), frozen=True, kw_only=True)
    cls.__doc__ = f"Options of LeRobot's {lerobot_class.__name__} (unset: LeRobot's default)."
    return cls


class LeRobotOptions:
    """Base of the generated options classes; building one decodes it, so a bad option fails here."""

    lerobot_class: type

    def __attrs_post_init__(self) -> None:
        lerobot_config(self)
