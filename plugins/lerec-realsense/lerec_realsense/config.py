"""The options of a RealSense camera, validated on construction."""

from __future__ import annotations

from typing import Literal

import attrs

from lerec.cameras import options


@attrs.define(frozen=True)
class RealSenseCameraConfig:
    """Which device: ``serial`` (exact) or ``name`` (part of the product name, e.g. ``D435``), or the only one
    connected; or ``playback``, a recorded ``.bag``/``.db3`` file, as the source.

    ``color`` and ``depth`` streams each have their own width/height/fps (``None``: the device's default; for a
    playback file, checked against it). Depth is converted with the device's depth scale into ``depth_unit``
    (``mm``: uint16, ``m``: float32). ``align_depth_to_color`` reprojects depth onto the colour image (the depth
    stream then has the colour stream's size). ``exposure`` (µs), ``gain`` and ``white_balance`` (K) turn the
    matching auto mode off and must lie in the device's range. A device that fails to start is retried
    ``connect_retries`` times, with a hardware reset before each retry when ``hardware_reset``. A playback file
    is delivered at its recorded pace (``realtime``) or as fast as it decodes; it is never dropped from.
    """

    serial: str | None = None
    name: str | None = None
    playback: str | None = None
    color: bool = attrs.field(default=True, validator=options.boolean)
    color_width: int | None = attrs.field(default=None, validator=options.frame_side)
    color_height: int | None = attrs.field(default=None, validator=options.frame_side)
    color_fps: int | None = attrs.field(default=None, validator=options.camera_fps)
    depth: bool = attrs.field(default=False, validator=options.boolean)
    depth_width: int | None = attrs.field(default=None, validator=options.frame_side)
    depth_height: int | None = attrs.field(default=None, validator=options.frame_side)
    depth_fps: int | None = attrs.field(default=None, validator=options.camera_fps)
    depth_unit: Literal["mm", "m"] = attrs.field(default="mm", validator=attrs.validators.in_(("mm", "m")))
    align_depth_to_color: bool = False
    exposure: float | None = None
    gain: float | None = None
    white_balance: float | None = None
    connect_retries: int = attrs.field(default=2, validator=options.count)
    hardware_reset: bool = True
    realtime: bool = True
    frame_timeout_s: float = attrs.field(default=5.0, validator=options.positive_seconds)

    def __attrs_post_init__(self):
        if not (self.color or self.depth):
            raise ValueError("a realsense camera needs color or depth (both are off)")
        if self.align_depth_to_color and not (self.color and self.depth):
            raise ValueError("align_depth_to_color needs both the color and the depth stream")
        if self.playback and self.align_depth_to_color:
            raise ValueError("align_depth_to_color applies to a live device; a recording plays its streams as stored")
        if self.playback and (self.serial or self.name):
            raise ValueError(f"give playback or a device (serial/name), not both (playback={self.playback!r})")
        for stream in ("color", "depth"):
            width, height = getattr(self, f"{stream}_width"), getattr(self, f"{stream}_height")
            if (width is None) != (height is None):
                raise ValueError(f"give {stream}_width and {stream}_height together ({width}x{height})")
