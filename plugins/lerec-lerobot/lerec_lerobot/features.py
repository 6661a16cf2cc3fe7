"""LeRobot's per-motor floats as lerec's feature vectors, grouped exactly as ``lerobot-record`` groups them.

LeRobot devices declare ``{"shoulder_pan.pos": float, ..., "front": (480, 640, 3)}``; ``lerobot-record`` turns the
floats into ``observation.state`` / ``action`` (float32, with those ``names``, in declaration order) through
``hw_to_dataset_features``. We call that same function, so a dataset from the bridge has ``lerobot-record``'s
features; image features are dropped (the robot's cameras are lerec cameras).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from lerobot.utils.feature_utils import hw_to_dataset_features

IMAGE_DTYPES = ("video", "image")


def dataset_features(hw_features: Mapping[str, Any], prefix: str) -> dict[str, dict[str, Any]]:
    """The numeric dataset features ``lerobot-record`` writes for a device's ``observation_features``
    (``prefix="observation"``) or ``action_features`` (``prefix="action"``)."""
    grouped = hw_to_dataset_features(dict(hw_features), prefix, use_video=True)
    return {key: {"dtype": f["dtype"], "shape": [int(n) for n in f["shape"]], "names": list(f["names"])}
            for key, f in grouped.items() if f["dtype"] not in IMAGE_DTYPES}


def to_vectors(features: Mapping[str, Mapping[str, Any]], values: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """A LeRobot observation/action dict as one vector per feature, in the order of its ``names``."""
    missing = [name for f in features.values() for name in f["names"] if name not in values]
    if missing:
        raise KeyError(f"missing {', '.join(missing)} (got {', '.join(values) or 'nothing'})")
    return {key: np.asarray([values[name] for name in f["names"]], dtype=f["dtype"])
            for key, f in features.items()}


def to_floats(features: Mapping[str, Mapping[str, Any]], vectors: Mapping[str, np.ndarray]) -> dict[str, float]:
    """lerec's action vectors back as LeRobot's ``{"shoulder_pan.pos": float, ...}``."""
    return {name: float(value) for key, f in features.items()
            for name, value in zip(f["names"], np.asarray(vectors[key]).reshape(-1), strict=True)}
