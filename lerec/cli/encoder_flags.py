"""``--dataset.rgb_encoder.<field>`` style flags for the encoder settings."""

from __future__ import annotations

import argparse
import json

import attrs
import yaml

from lerec.errors import EncoderConfigError


def add_encoder_arguments(parser: argparse.ArgumentParser, prefix: str, config_cls: type) -> None:
    group = parser.add_argument_group(f"{prefix} ({config_cls.__name__})")
    for field in attrs.fields(config_cls):
        default = field.default.factory() if isinstance(field.default, attrs.Factory) else field.default
        group.add_argument(f"--{prefix}.{field.name}", dest=f"{prefix}.{field.name}", default=None,
                           metavar="VALUE", help=f"default: {json.dumps(default)}")


def _parse_value(text: str):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def encoder_config_from_args(args: argparse.Namespace, prefix: str, config_cls: type):
    values = {}
    for field in attrs.fields(config_cls):
        raw = getattr(args, f"{prefix}.{field.name}", None)
        if raw is not None:
            values[field.name] = _parse_value(raw) if field.name != "vcodec" else raw
    try:
        return config_cls(**values)
    except (TypeError, ValueError) as exc:
        raise EncoderConfigError(f"--{prefix}: {exc}") from None
