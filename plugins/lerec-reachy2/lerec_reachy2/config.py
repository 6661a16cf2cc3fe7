"""The options of a Reachy 2 camera, validated on construction."""

from __future__ import annotations

from typing import Literal

import attrs

from lerec.cameras import options

IMAGE_TYPES = {"teleop": ("left", "right"), "depth": ("rgb", "depth")}


def _positive(_, attribute, value):
    if value <= 0:
        raise ValueError(f"{attribute.name} must be > 0, got {value!r}")


@attrs.define(frozen=True)
class Reachy2CameraConfig:
    """``name`` is the robot's camera (``teleop``: the head's stereo pair; ``depth``: the torso's RGB-D camera),
    ``image_type`` the image of it (``left``/``right`` for teleop, ``rgb``/``depth`` for depth). Frames are
    polled at ``fps`` from the video service at ``host:port``; ``read_timeout_s`` bounds one request and
    ``read_retries`` empty or undecodable replies in a row are tolerated."""

    name: Literal["teleop", "depth"] = attrs.field(default="teleop", validator=attrs.validators.in_(IMAGE_TYPES))
    image_type: Literal["left", "right", "rgb", "depth"] = "left"
    host: str = "localhost"
    port: int = attrs.field(default=50065, validator=attrs.validators.and_(_positive, attrs.validators.lt(65536)))
    fps: float = attrs.field(default=30.0, validator=options.camera_fps)
    read_timeout_s: float = attrs.field(default=2.0, validator=options.positive_seconds)
    read_retries: int = attrs.field(default=5, validator=options.count)

    def __attrs_post_init__(self):
        if self.image_type not in IMAGE_TYPES[self.name]:
            raise ValueError(
                f"image_type {self.image_type!r} is not an image of the {self.name} camera; "
                f"it has {', '.join(IMAGE_TYPES[self.name])}"
            )
