"""One plugin manager for every device kind, loaded from the entry-point groups of :mod:`lerec.plugins.hookspecs`."""

from __future__ import annotations

import functools
import importlib.metadata
import logging
from collections.abc import Iterator
from typing import Any

import attrs
import pluggy

from lerec.errors import LerecError, SettingsError
from lerec.plugins import hookspecs

log = logging.getLogger(__name__)


def build_config(cls: type, options: dict[str, Any], what: str) -> Any:
    """``cls(**options)`` for a plugin type's config class, with a SettingsError naming ``what`` (e.g. "camera type
    'x'") and the bad option: an unknown one (listing the known ones), or a value the class refuses."""
    if attrs.has(cls):
        known = {f.name for f in attrs.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise SettingsError(f"{what} has no option {', '.join(map(repr, unknown))}; "
                                f"its options are: {', '.join(sorted(known)) or 'none'}")
    try:
        return cls(**options)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{what}: {exc}") from None


@attrs.define(frozen=True)
class Provided:
    """A device type together with the distribution that provides it."""

    type: Any
    distribution: str
    version: str


@functools.cache
def _loaded() -> tuple[pluggy.PluginManager, dict[int, tuple[str, str]]]:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    dists: dict[int, tuple[str, str]] = {}
    for group in hookspecs.ENTRY_POINT_GROUPS:
        for ep in importlib.metadata.entry_points(group=group):
            try:
                plugin = ep.load()
            except Exception as exc:  # one broken install leaves the other plugins and the core usable
                name = ep.dist.name if ep.dist is not None else ep.value
                log.warning("the lerec plugin %s (%s) cannot be loaded, so its types are left out: %s: %s; "
                            "reinstall it, or uninstall it with `pip uninstall %s`", ep.name, name,
                            type(exc).__name__, exc, name)
                continue
            if pm.is_registered(plugin):  # one module listed under several groups (or found twice on the path)
                continue
            dist = (ep.dist.name, ep.dist.version) if ep.dist is not None else ("?", "?")
            pm.register(plugin, name=f"{group}:{ep.name}:{dist[0]}")
            dists[id(plugin)] = dist
    pm.check_pending()  # a misspelled @hookimpl is an error, not an empty list
    return pm, dists


def plugin_manager() -> pluggy.PluginManager:
    """The plugin manager holding every installed lerec plugin (loaded once per process)."""
    return _loaded()[0]


def provided(hook_name: str, kind: str) -> dict[str, Provided]:
    """Every type the installed plugins return from the hook ``hook_name``, by name; two plugins providing the
    same name is an error naming both distributions."""
    pm, dists = _loaded()
    found: dict[str, Provided] = {}
    for plugin, device_type in _results(pm, hook_name):
        dist, version = dists.get(id(plugin), ("?", "?"))
        if device_type.name in found:
            other = found[device_type.name].distribution
            raise LerecError(f"{kind} type {device_type.name!r} is provided twice: by {other} and by {dist}")
        found[device_type.name] = Provided(device_type, dist, version)
    return found


def named_type(types: dict[str, Provided], type_name: str, kind: str, hint: str) -> Any:
    """The type called ``type_name`` among ``types`` (a kind's installed types), or a SettingsError listing them
    and saying (``hint``) how plugins are installed."""
    if type_name not in types:
        raise SettingsError(f"unknown {kind} type {type_name!r}; installed: {', '.join(sorted(types)) or 'none'}"
                            f" ({hint})")
    return types[type_name].type


def type_of_config(types: dict[str, Provided], config: Any, kind: str) -> Any:
    """The type among ``types`` whose config class ``config`` is an instance of, or a SettingsError."""
    for registered in types.values():
        if isinstance(config, registered.type.config_class):
            return registered.type
    raise SettingsError(f"no installed {kind} type takes a config of class {type(config).__name__}")


def _results(pm: pluggy.PluginManager, hook_name: str) -> Iterator[tuple[object, Any]]:
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        for device_type in impl.function() or ():
            yield impl.plugin, device_type
