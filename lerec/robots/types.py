"""The records a plugin returns to describe a robot or teleoperator type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from lerec.robots.base import Robot, Teleop


@attrs.define(frozen=True)
class FoundDevice:
    """A connected device as ``find`` reports it: a label and the options to paste into ``--robot``/``--teleop``."""

    label: str
    options: dict[str, Any]


@attrs.define(frozen=True)
class RobotType:
    """A robot type: ``name`` (the ``type:`` users write), its attrs ``config_class``, a ``create(config)``
    factory and an optional ``find()`` listing connected devices (blocking calls are allowed there)."""

    name: str
    config_class: type
    create: Callable[[Any], Robot]
    find: Callable[[], list[FoundDevice]] | None = None
    description: str = ""


@attrs.define(frozen=True)
class TeleopType:
    """A teleoperator type, as :class:`RobotType`; ``create(config)`` returns a :class:`Teleop`."""

    name: str
    config_class: type
    create: Callable[[Any], Teleop]
    find: Callable[[], list[FoundDevice]] | None = None
    description: str = ""
