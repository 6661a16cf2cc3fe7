"""``--dataset.rgb_encoder.<field>`` style flags for an encoder config class, and the config they describe."""

from __future__ import annotations

import argparse
import json
import re
from typing import Any, TypeVar

import attrs
import yaml

from lerec.errors import EncoderConfigError

Config = TypeVar("Config")

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_STRING_FIELDS = ("vcodec", "pix_fmt", "video_backend")


def field_help(config_cls: type) -> dict[str, str]:
    """Per-field help: each attrs field's ``help`` metadata (a subclass's override declares its own)."""
    return {f.name: f.metadata["help"] for f in attrs.fields(config_cls) if "help" in f.metadata}


def fields_in_declaration_order(config_cls: type) -> list[attrs.Attribute]:
    """Fields in the order a base class declares them, a subclass's new ones last (attrs moves overrides last)."""
    order: list[str] = []
    for klass in reversed(config_cls.__mro__):
        if attrs.has(klass):
            order += [f.name for f in attrs.fields(klass) if f.name not in order]
    by_name = {f.name: f for f in attrs.fields(config_cls)}
    return [by_name[name] for name in order]


def add_encoder_arguments(
    parser: argparse.ArgumentParser, prefix: str, config_cls: type, title: str | None = None
) -> None:
    """Add ``--{prefix}.<field>`` for every field of ``config_cls``, documented from its fields' metadata."""
    group = parser.add_argument_group(title or f"{prefix} ({config_cls.__name__})")
    docs = field_help(config_cls)
    for field in fields_in_declaration_order(config_cls):
        default = field.default.factory() if isinstance(field.default, attrs.Factory) else field.default
        shown = json.dumps(default) if isinstance(default, dict) else default
        group.add_argument(
            f"--{prefix}.{field.name}",
            dest=f"{prefix}.{field.name}",
            metavar=field.name.upper(),
            default=None,
            help=f"{docs.get(field.name, '')} (default: {shown})".replace("%", "%%"),
        )


def parse_flag_value(field: str, text: str) -> Any:
    """A flag's text as the value it means: JSON/YAML mapping for extra_options, else int, float, bool or None."""
    if field == "extra_options":
        try:
            value = yaml.safe_load(text) if text.strip() else {}
        except yaml.YAMLError as exc:
            raise EncoderConfigError(f"extra_options={text!r}: not JSON or YAML ({exc.problem})") from None
        if not isinstance(value, dict):
            raise EncoderConfigError(f'extra_options={text!r}: expected a mapping such as \'{{"tune": "film"}}\'')
        return value
    lowered = text.strip().lower()
    if lowered in ("none", "null"):
        return None
    if field in _STRING_FIELDS:
        return text
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INT.match(lowered):
        return int(lowered)
    if _FLOAT.match(lowered):
        return float(lowered)
    return text


def encoder_changes_from_args(args: argparse.Namespace, prefix: str, config_cls: type) -> dict[str, Any]:
    """The fields the ``--{prefix}.<field>`` flags given set, parsed."""
    kwargs = {}
    for field in attrs.fields(config_cls):
        text = getattr(args, f"{prefix}.{field.name}", None)
        if text is not None:
            try:
                kwargs[field.name] = parse_flag_value(field.name, text)
            except EncoderConfigError as exc:
                raise EncoderConfigError(f"--{prefix}.{exc}") from None
    return kwargs


def encoder_config_from_args(args: argparse.Namespace, prefix: str, config_cls: type[Config]) -> Config:
    """The ``config_cls`` the ``--{prefix}.<field>`` flags describe; flags not given keep the defaults."""
    kwargs = encoder_changes_from_args(args, prefix, config_cls)
    try:
        return config_cls(**kwargs)
    except EncoderConfigError as exc:
        raise EncoderConfigError(f"--{prefix}.{exc}") from None
