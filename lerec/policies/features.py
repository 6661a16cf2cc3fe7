"""A policy's features matched by name to the robot's and the cameras', once, before the robot moves.

``rename_map`` maps a robot or camera feature name to the policy's (LeRobot's ``--rename_map``:
``{"observation.images.front": "observation.images.top"}``). Vector features match by their element names when
both sides name them (the policy's order is restored each tick), by shape otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from lerec.errors import SettingsError
from lerec.policies.base import Policy
from lerec.robots.base import Features, Values


CAMERA_DTYPES = ("video", "image")


@attrs.define(frozen=True)
class FeatureMap:
    """How one tick's robot and camera values become the policy's observation, and its action the robot's."""

    sources: Mapping[str, str]  # policy observation key -> robot/camera key
    orders: Mapping[str, Any]  # policy observation key -> index array (robot order -> policy order), or None
    action_key: str
    action_shape: tuple[int, ...]
    action_order: Any  # index array (policy order -> robot order), or None

    def observation(self, values: Values) -> dict[str, np.ndarray]:
        out = {}
        for key, source in self.sources.items():
            value = values[source]
            order = self.orders[key]
            out[key] = value if order is None else np.asarray(value)[order]
        return out

    def action(self, vector: np.ndarray) -> np.ndarray:
        return vector if self.action_order is None else vector[self.action_order]


def _order(theirs: Mapping[str, Any], ours: Mapping[str, Any], what: str) -> Any:
    """Index array taking a vector in ``theirs`` names' order to ``ours``', None when the order is the same."""
    a, b = list(theirs.get("names") or []), list(ours.get("names") or [])
    if not a or not b or a == b:
        return None
    if sorted(a) != sorted(b):
        missing = sorted(set(b) - set(a))
        raise SettingsError(f"{what}: names differ (missing {missing[:5]}); the policy's are {b[:8]}, "
                            f"the robot's {a[:8]}")
    return np.asarray([a.index(name) for name in b])


def _shape(feature: Mapping[str, Any]) -> tuple[int, ...] | None:
    shape = feature.get("shape")
    return None if shape is None else tuple(int(n) for n in shape)


def match_features(policy: Policy, observations: Features, cameras: Features | None, actions: Features,
                   rename_map: Mapping[str, str] | None = None) -> FeatureMap:
    """Match ``policy`` to the robot's observation and action features and the cameras' features (as info.json
    declares them; None: check the numeric features only, before the cameras open). A feature the policy needs and
    nobody gives, or gives in another shape, is a SettingsError."""
    rename = dict(rename_map or {})
    available = {**observations, **(cameras or {})}
    for source in rename:
        if source not in available and cameras is not None:
            raise SettingsError(f"--rename_map: {source!r} is not a robot or camera feature; they are: "
                                f"{', '.join(sorted(available))}")
    by_policy_name = {rename.get(key, key): key for key in available}
    sources, orders = {}, {}
    for key, wanted in policy.observation_features.items():
        if cameras is None and wanted.get("dtype") in CAMERA_DTYPES:
            continue
        source = by_policy_name.get(key)
        if source is None:
            raise SettingsError(f"policy {policy.name!r} needs observation {key!r}, which neither the robot nor a "
                                f"camera gives (they give: {', '.join(sorted(by_policy_name))}); map one with "
                                f"--rename_map='{{\"ROBOT_KEY\": \"{key}\"}}'")
        have, want = _shape(available[source]), _shape(wanted)
        if want is not None and have != want:
            raise SettingsError(f"policy {policy.name!r} needs {key!r} of shape {list(want)}; "
                                f"{source!r} has shape {list(have or [])}")
        sources[key] = source
        orders[key] = _order(available[source], wanted, f"policy {policy.name!r} observation {key!r}")
    produced = dict(policy.action_features)
    if len(produced) != 1 or len(actions) != 1:
        raise SettingsError(f"policy {policy.name!r} gives actions {sorted(produced)}; the robot takes "
                            f"{sorted(actions)} (one action feature each is supported)")
    (key, theirs), (robot_key, ours) = next(iter(produced.items())), next(iter(actions.items()))
    if _shape(theirs) != _shape(ours):
        raise SettingsError(f"policy {policy.name!r} gives {key!r} of shape {list(_shape(theirs) or [])}; the robot "
                            f"takes {robot_key!r} of shape {list(_shape(ours) or [])}")
    order = _order(theirs, ours, f"policy {policy.name!r} action")  # policy order -> robot order
    return FeatureMap(sources, orders, robot_key, _shape(ours), order)
