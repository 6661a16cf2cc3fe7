"""The record a plugin returns to describe a policy type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from lerec.policies.base import Policy


@attrs.define(frozen=True)
class PolicyType:
    """A policy type: ``name`` (``--policy.type``), its attrs ``config_class`` (built from ``--policy.<option>``
    flags; a ``path`` option receives ``--policy.path``) and a ``create(config)`` factory. ``loads_path``: the type
    that ``--policy.path`` alone selects when it can load the folder (LeRobot's bridge)."""

    name: str
    config_class: type
    create: Callable[[Any], Policy]
    description: str = ""
    loads_path: Callable[[str], bool] | None = None
