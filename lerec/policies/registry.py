"""Policy types discovered from the ``lerec.policies`` entry-point group (hook ``lerec_policy_types``)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from lerec.errors import LerecError, SettingsError
from lerec.plugins import manager
from lerec.plugins.manager import Provided, provided
from lerec.policies.base import Policy


@functools.cache
def policy_types() -> dict[str, Provided]:
    """Every installed policy type, by name."""
    return provided("lerec_policy_types", "policy")


def _get(type_name: str):
    types = policy_types()
    if type_name not in types:
        raise SettingsError(f"--policy.type={type_name}: unknown policy type; installed: "
                            f"{', '.join(sorted(types)) or 'none'} (LeRobot policies come with lerec-lerobot)")
    return types[type_name].type


def type_for_path(path: str) -> str:
    """The policy type that loads the folder (or Hub id) ``path``: the one whose ``loads_path`` accepts it."""
    hub_id = path.count("/") == 1 and not path.startswith((".", "/", "~"))
    if not Path(path).expanduser().exists() and not hub_id:
        raise SettingsError(f"--policy.path={path}: no such folder")
    for name, registered in sorted(policy_types().items()):
        loads = registered.type.loads_path
        if loads is not None and loads(path):
            return name
    raise SettingsError(f"--policy.path={path}: no installed policy type loads it (a LeRobot policy folder needs "
                        "lerec-lerobot and a config.json); pass --policy.type")


def build_config(type_name: str, options: Mapping[str, Any]) -> Any:
    """A policy type's config from user options, with errors naming the bad option."""
    return manager.build_config(_get(type_name).config_class, dict(options), f"policy type {type_name!r}")


def create(config_or_policy: Any) -> Policy:
    """A policy from a config of any installed type, or the policy itself when given one."""
    if isinstance(config_or_policy, Policy):
        return config_or_policy
    for registered in policy_types().values():
        if isinstance(config_or_policy, registered.type.config_class):
            policy = registered.type.create(config_or_policy)
            if not isinstance(policy, Policy):
                raise LerecError(f"policy type {registered.type.name!r} created a {type(policy).__name__}, "
                                 "not a lerec.policies.Policy")
            return policy
    raise LerecError(f"no installed policy type takes a config of class {type(config_or_policy).__name__}")


def takes_path(type_name: str) -> bool:
    """Whether the type's config has a ``path`` option (``--policy.path``)."""
    cls = _get(type_name).config_class
    return attrs.has(cls) and any(f.name == "path" for f in attrs.fields(cls))
