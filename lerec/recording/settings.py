"""Checks of a recording session's settings, run before a camera opens or a file is written.

Each check takes the name the user wrote the setting under (``fps`` in Python, ``--dataset.fps`` on the command
line), so its :class:`SettingsError` names that, the value and what is allowed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lerec.cameras.options import check_camera_name
from lerec.dataset.spec import format as fmt
from lerec.errors import DatasetRequestError, SettingsError

MAX_FPS = 1000
MAX_ENCODER_THREADS = 64  # x264 uses at most 128; SVT-AV1 and FFV1 gain nothing past a few tens
# A camera is stalled once its newest frame is older than this many of its periods, and than MIN_FRAME_AGE_S:
# load alone made synthetic cameras lag 1.13 s behind on-time ticks (4 VGA recordings on 2 shared cores).
FRAME_AGE_PERIODS = 10
MIN_FRAME_AGE_S = 2.0


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_fps(fps: Any, option: str = "fps") -> int:
    if not (_number(fps) and math.isfinite(fps) and fps == int(fps) and 1 <= fps <= MAX_FPS):
        raise SettingsError(f"{option}={fps!r}: the dataset's fps must be an integer from 1 to {MAX_FPS}")
    return int(fps)


def check_encoder_threads(threads: Any, option: str = "encoder_threads") -> int | None:
    if threads is not None and not (_number(threads) and threads == int(threads)
                                    and 1 <= threads <= MAX_ENCODER_THREADS):
        raise SettingsError(f"{option}={threads!r}: threads per encoder must be an integer from 1 to "
                            f"{MAX_ENCODER_THREADS}, or unset for the cores shared among the streams")
    return threads


def check_queue_maxsize(size: Any, option: str = "encoder_queue_maxsize") -> int:
    if not (_number(size) and size == int(size) and size >= 0):
        raise SettingsError(f"{option}={size!r}: frames held in memory per stream must be an integer >= 0")
    return int(size)


def check_seconds(value: Any, option: str, *, above_zero: bool = False) -> float:
    ok = _number(value) and math.isfinite(value) and (value > 0 if above_zero else value >= 0)
    if not ok:
        raise SettingsError(f"{option}={value!r}: must be a number of seconds {'> 0' if above_zero else '>= 0'}")
    return float(value)


def check_episode_length(duration_s: Any, fps: int, option: str = "duration_s") -> float:
    """An episode of ``duration_s`` at ``fps`` holds at least one frame."""
    check_seconds(duration_s, option, above_zero=True)
    if round(duration_s * fps) < 1:
        raise SettingsError(f"{option}={duration_s!r}: an episode needs at least one frame, "
                            f"{1 / fps:.4g} s or more at fps={fps}")
    return float(duration_s)


def check_task(task: Any, option: str = "task") -> str:
    if not isinstance(task, str) or not task.strip():
        raise SettingsError(f"{option}={task!r}: an episode needs a task, e.g. 'pick the cube'")
    return task


def check_root(root: Any, option: str = "root") -> Path:
    """A dataset folder that exists as a folder or can be created (no file in its place or above it)."""
    if root is None or not str(root).strip():
        raise SettingsError(f"{option}={str(root) if root is not None else root!r}: an empty path; give the "
                            "dataset's folder, e.g. data/pick_cube")
    path = Path(root)
    for place in (path, *path.parents):
        if place.exists() or place.is_symlink():
            if not place.is_dir():
                what = "is" if place == path else f"is under {place}, which is"
                raise SettingsError(f"{option}={str(root)!r}: {what} a file, not a folder; give a folder")
            if os.statvfs(place).f_flag & os.ST_RDONLY:
                raise SettingsError(f"{option}={str(root)!r}: {place} is on a read-only file system")
            if not os.access(place, os.W_OK | os.X_OK):
                raise SettingsError(f"{option}={str(root)!r}: {place} is not writable")
            break
    return path


def check_no_dataset(root: Path, option: str = "root", resume: str = "resume=True") -> None:
    """Without ``resume``, ``root`` must not hold a dataset already (a new recording never writes into one)."""
    if (root / fmt.INFO_PATH).exists():
        raise DatasetRequestError(f"{option}={str(root)!r}: already holds a dataset; add {resume} to add episodes "
                                  "to it, or give a new folder")


def check_camera_names(names: Any, option: str = "cameras") -> None:
    for name in names:
        check_camera_name(name, option)


def check_frame_age_limits(limits: float | Mapping[str, float | None] | None, cameras: Mapping[str, Any],
                           option: str = "max_frame_age_s") -> dict[str, float | None]:
    """Per camera, the oldest frame a tick may use in seconds (None: the default, :func:`default_frame_age_s`)."""
    if limits is None or not isinstance(limits, Mapping):
        limits = dict.fromkeys(cameras, limits)
    unknown = sorted(set(limits) - set(cameras))
    if unknown:
        raise SettingsError(f"{option}: no camera {', '.join(map(repr, unknown))}; the cameras are "
                            f"{', '.join(map(repr, cameras))}")
    check_frame_ages(limits, option)
    return {name: limits.get(name) for name in cameras}


def check_frame_ages(limits: Any, option: str = "max_frame_age_s") -> Any:
    """None (the default), seconds > 0, or a mapping camera name -> either (its names are checked against the
    cameras by :func:`check_frame_age_limits`)."""
    for name, limit in limits.items() if isinstance(limits, Mapping) else [(None, limits)]:
        if limit is not None:
            check_seconds(limit, option if name is None else f"{option} of camera {name!r}", above_zero=True)
    return limits


def check_timeout(seconds: Any, option: str = "camera_timeout_s") -> float:
    return check_seconds(seconds, option, above_zero=True)


def default_frame_age_s(stream_fps: float, dataset_fps: int) -> float:
    """A few periods of the slower of the stream and the dataset clock, never under MIN_FRAME_AGE_S."""
    period = max(1 / stream_fps if stream_fps and stream_fps > 0 else 0, 1 / dataset_fps)
    return max(MIN_FRAME_AGE_S, FRAME_AGE_PERIODS * period)
