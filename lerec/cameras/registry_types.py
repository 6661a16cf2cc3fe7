"""The record a plugin returns to describe one camera type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from lerec.cameras.base import Camera


@attrs.define(frozen=True)
class FoundCamera:
    """A connected device as ``find`` reports it: a label and the options to paste into ``--cameras``."""

    label: str
    options: dict[str, Any]


@attrs.define(frozen=True)
class CameraType:
    """A camera type: ``name`` (the ``type:`` users write), its attrs ``config_class``, a ``create(name,
    config)`` factory and an optional ``find()`` listing connected devices (blocking calls are allowed there)."""

    name: str
    config_class: type
    create: Callable[[str, Any], Camera]
    find: Callable[[], list[FoundCamera]] | None = None
    description: str = ""
