"""Validators shared by camera config classes (the synthetic camera's and plugins'): a config that exists holds
values a recording can use, and a bad one is named with its value and what is allowed."""

from __future__ import annotations

import math
import re
from typing import Any

from lerec.errors import SettingsError

# The largest frame side lerec records: every codec it maps accepts it (libx264 and libsvtav1 take up to 16384
# wide, FFV1 more), and a larger one makes SVT-AV1's trial open allocate for minutes, deaf to Ctrl-C.
MAX_FRAME_SIDE = 8192
MAX_CAMERA_FPS = 1000.0
CAMERA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def frame_side(_, attribute, value) -> None:
    """A width or height: an integer from 1 to MAX_FRAME_SIDE (None allowed, for 'the device's default')."""
    if value is not None and not (_is_int(value) and 1 <= value <= MAX_FRAME_SIDE):
        raise ValueError(f"{attribute.name} must be an integer from 1 to {MAX_FRAME_SIDE}, got {value!r}")


def camera_fps(_, attribute, value) -> None:
    """Frames per second: a number above 0, at most MAX_CAMERA_FPS (None allowed)."""
    if value is not None and not (_is_number(value) and 0 < value <= MAX_CAMERA_FPS):
        raise ValueError(f"{attribute.name} must be a number above 0 and at most {MAX_CAMERA_FPS:g}, got {value!r}")


def count(_, attribute, value) -> None:
    """An integer >= 0 (a frame number, a number of retries); None allowed."""
    if value is not None and not (_is_int(value) and value >= 0):
        raise ValueError(f"{attribute.name} must be an integer >= 0, got {value!r}")


def seconds(_, attribute, value) -> None:
    """A finite duration >= 0 in seconds; None allowed."""
    if value is not None and not (_is_number(value) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{attribute.name} must be a number of seconds >= 0, got {value!r}")


def positive_seconds(_, attribute, value) -> None:
    """A finite duration > 0 in seconds; None allowed."""
    if value is not None and not (_is_number(value) and math.isfinite(value) and value > 0):
        raise ValueError(f"{attribute.name} must be a number of seconds > 0, got {value!r}")


def boolean(_, attribute, value) -> None:
    """true or false, nothing that merely looks like one ('maybe', 'no', 1)."""
    if not isinstance(value, bool):
        raise ValueError(f"{attribute.name} must be true or false, got {value!r}")


def check_camera_name(name: Any, option: str = "cameras") -> str:
    """A camera name becomes part of feature keys and file paths: letters, digits, '_' and '-' only."""
    if not isinstance(name, str) or not CAMERA_NAME.match(name):
        raise SettingsError(
            f"{option}: camera name {name!r} is not allowed; use 1 to 64 letters, digits, '_' or '-' (e.g. 'front')"
        )
    return name
