"""A recording session's settings, declared once: :class:`SessionConfig`.

``Recorder.create`` builds one from its keywords, and ``lerec record`` and ``lerec rollout`` make their flags from
its fields (``lerec/cli/session_flags.py``). A field's metadata holds its help text, its flag (LeRobot's name where
LeRobot has one; None: Python only), how the flag's text reads (``int``, ``float`` or ``bool``) and its check,
which names the setting as the user wrote it: ``fps`` in Python, ``--dataset.fps`` on the command line.
A new setting is one field here and its keyword in ``Recorder.create`` (tests/test_session_config.py holds them
together); the flag follows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from lerec.recording.settings import (
    check_camera_names,
    check_encoder_threads,
    check_fps,
    check_frame_age_limits,
    check_frame_ages,
    check_queue_maxsize,
    check_timeout,
)

Check = Callable[[Any, str], Any]


def _checked(instance: Any, field: attrs.Attribute, value: Any) -> None:
    field.metadata["check"](value, field.name)


def _read_only(value: Any) -> Any:
    return MappingProxyType(dict(value)) if isinstance(value, Mapping) else value


def setting(default: Any, help: str, *, flag: str | None = None, parse: type | None = None,
            check: Check | None = None, bare: bool = False) -> Any:
    """A field of :class:`SessionConfig`. ``check(value, name)`` raises a SettingsError naming ``name``;
    ``parse`` reads the flag's text; ``bare``: the flag alone means true. A mapping is stored read-only."""
    return attrs.field(default=default, validator=_checked if check else None, converter=_read_only,
                       metadata={"help": help, "flag": flag, "parse": parse, "check": check, "bare": bare})


@attrs.frozen
class SessionConfig:
    """How a session records, besides its cameras, devices, sensors and encoders; checked on construction, each
    error naming the keyword, the value and what is allowed."""

    fps: int = setting(30, "dataset clock (default: 30)", flag="--dataset.fps", parse=int, check=check_fps)
    encoder_threads: int | None = setting(
        None, "threads per encoder (default: the cores shared among the streams, at least 1 each)",
        flag="--dataset.encoder_threads", parse=int, check=check_encoder_threads)
    encoder_queue_maxsize: int = setting(
        10, "frames per stream held in memory before spilling to disk (default: 10)",
        flag="--dataset.encoder_queue_maxsize", parse=int, check=check_queue_maxsize)
    streaming_encoding: bool = setting(
        True, "encode while recording (default: true); false encodes after each episode",
        flag="--dataset.streaming_encoding", parse=bool)
    video: bool = setting(
        True, "store cameras as videos (default: true); false stores PNG images in the parquet",
        flag="--dataset.video", parse=bool)
    convert_depth: bool = setting(
        True, "depth is captured losslessly with FFV1 (fast) and converted to LeRobot's lossless HEVC when the "
        "session ends (default: true); false leaves that to `lerec convert-depth`",
        flag="--dataset.convert_depth", parse=bool)
    max_frame_age_s: float | Mapping[str, float | None] | None = setting(
        None, "a camera whose newest frame is older than this ends the episode with an error (default: 10 periods "
        "of the camera or the dataset, the slower, at least 2 s); per camera: max_frame_age_s in --cameras",
        flag="--dataset.max_frame_age_s", parse=float, check=check_frame_ages)
    resume: bool = setting(
        False, "add episodes to an existing dataset (same fps, cameras and encoder settings)",
        flag="--resume", parse=bool, bare=True)
    camera_timeout_s: float = setting(
        10.0, "seconds each camera and sensor has to give its first frame", check=check_timeout)
    robot_type: str | None = setting(None, "the robot type info.json records (default: the robot's name)")

    def for_cameras(self, cameras: Mapping[str, Any]) -> SessionConfig:
        """This config for these cameras: their names checked, ``max_frame_age_s`` a mapping by camera name (None:
        the default, :func:`lerec.recording.settings.default_frame_age_s`)."""
        check_camera_names(cameras)
        return attrs.evolve(self, max_frame_age_s=check_frame_age_limits(self.max_frame_age_s, cameras))


def flagged(names: tuple[str, ...] | None = None) -> list[attrs.Attribute]:
    """The fields that have a flag, in declaration order (only ``names``, when given)."""
    return [f for f in attrs.fields(SessionConfig) if f.metadata["flag"] and (names is None or f.name in names)]

