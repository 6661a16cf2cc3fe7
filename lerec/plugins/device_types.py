"""The records a plugin returns to describe a device type (camera, sensor, robot, teleoperator), and a device one
of its types found connected. :mod:`lerec.cameras`, :mod:`lerec.sensors` and :mod:`lerec.robots` name them for
their kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs


@attrs.define(frozen=True)
class FoundDevice:
    """A connected device as ``find`` reports it: a label and the options to paste into the flag that names its
    kind (``--cameras``, ``--sensors``, ``--robot``, ``--teleop``)."""

    label: str
    options: dict[str, Any]


@attrs.define(frozen=True)
class DeviceType:
    """A device type: ``name`` (the ``type:`` users write), its attrs ``config_class``, a ``create`` factory
    (``create(name, config)`` for cameras and sensors, ``create(config)`` for robots and teleoperators) and an
    optional ``find()`` listing connected devices (blocking calls are allowed there)."""

    name: str
    config_class: type
    create: Callable[..., Any]
    find: Callable[[], list[FoundDevice]] | None = None
    description: str = ""
