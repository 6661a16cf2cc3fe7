"""The options of an OpenCV camera, validated on construction."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import attrs

from lerec.cameras import options

BACKENDS = ("any", "v4l2", "ffmpeg", "gstreamer", "dshow", "msmf", "avfoundation")
SourceKind = Literal["device", "stream", "file"]


def _index_or_path(value: int | str) -> int | str:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"index_or_path must be a device index, a /dev/video* path or a file, got {value!r}")
    return value


def _rotation(value: int) -> int:
    if value not in (0, 90, 180, 270, -90):
        raise ValueError(f"rotation must be 0, 90, 180 or 270 (or -90), got {value!r}")
    return value % 360


def _fourcc(_, attribute, value):
    if value is not None and len(value) != 4:
        raise ValueError(f"fourcc must be 4 characters such as 'MJPG' or 'YUYV', got {value!r}")


@attrs.define(frozen=True)
class OpenCVCameraConfig:
    """``index_or_path``: a device index (``0``), a device path (``/dev/video0``), a stream URL or a video file.

    ``width``/``height``/``fps`` are requested from a device and verified after opening (for a file, checked
    against it). ``fourcc`` picks the device's pixel format (``MJPG`` keeps USB 2 bandwidth low).
    ``color_order`` is the channel order the backend delivers (OpenCV's is ``bgr``); frames leave the camera as
    RGB. ``rotation`` turns frames clockwise (the stream's width and height swap for 90/270). ``warmup_s``
    discards frames after opening while exposure settles. A file plays at its own fps (``realtime``) or as fast
    as it decodes. ``read_retries`` consecutive failed reads are tolerated before the camera counts as gone.
    """

    index_or_path: int | str = attrs.field(converter=_index_or_path)
    width: int | None = attrs.field(default=None, validator=options.frame_side)
    height: int | None = attrs.field(default=None, validator=options.frame_side)
    fps: float | None = attrs.field(default=None, validator=options.camera_fps)
    fourcc: str | None = attrs.field(default=None, validator=_fourcc)
    color_order: Literal["bgr", "rgb"] = attrs.field(default="bgr", validator=attrs.validators.in_(("bgr", "rgb")))
    rotation: int = attrs.field(default=0, converter=_rotation)
    warmup_s: float = attrs.field(default=0.0, validator=options.seconds)
    realtime: bool = attrs.field(default=True, validator=options.boolean)
    read_retries: int = attrs.field(default=5, validator=options.count)
    backend: str = attrs.field(default="any", validator=attrs.validators.in_(BACKENDS))

    def __attrs_post_init__(self):
        if (self.width is None) != (self.height is None):
            raise ValueError(f"give width and height together (width={self.width}, height={self.height})")

    @property
    def source_kind(self) -> SourceKind:
        """``device`` (index or /dev path), ``stream`` (a URL) or ``file``."""
        source = self.index_or_path
        if isinstance(source, int) or source.startswith("/dev/"):
            return "device"
        if "://" in source:
            return "stream"
        return "file"

    @property
    def source(self) -> int | str:
        """What ``cv2.VideoCapture`` opens; a file's path made absolute."""
        return str(Path(self.index_or_path).expanduser()) if self.source_kind == "file" else self.index_or_path
