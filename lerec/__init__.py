"""lerec: record LeRobot v3.0 datasets from many cameras at once, with nothing lost.

The top-level names are imported on first use, so ``import lerec.dataset.reading.reader`` does not load the recorder.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "DatasetReader": "lerec.dataset.reading.reader",
    "DepthEncoderConfig": "lerec.encoding.config",
    "EpisodeReport": "lerec.recording",
    "RGBEncoderConfig": "lerec.encoding.config",
    "Recorder": "lerec.recording",
    "SyntheticCameraConfig": "lerec.cameras.synthetic",
}
__all__ = sorted(_LAZY)

if TYPE_CHECKING:
    from lerec.cameras.synthetic import SyntheticCameraConfig
    from lerec.dataset.reading.reader import DatasetReader
    from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
    from lerec.recording import EpisodeReport, Recorder


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lerec' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
