"""The record a plugin returns to describe one sensor type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from lerec.sensors.base import Sensor


@attrs.define(frozen=True)
class FoundSensor:
    """A connected device as ``find`` reports it: a label and the options to paste into ``--sensors``."""

    label: str
    options: dict[str, Any]


@attrs.define(frozen=True)
class SensorType:
    """A sensor type: ``name`` (the ``type:`` users write), its attrs ``config_class``, a ``create(name, config)``
    factory and an optional ``find()`` listing connected devices (blocking calls are allowed there)."""

    name: str
    config_class: type
    create: Callable[[str, Any], Sensor]
    find: Callable[[], list[FoundSensor]] | None = None
    description: str = ""
