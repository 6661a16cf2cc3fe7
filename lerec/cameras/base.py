"""What a camera is to lerec: streams it declares, frames it yields, an async open/close."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from typing import Literal

import attrs
import numpy as np

from lerec.cameras.options import MAX_FRAME_SIDE

StreamKind = Literal["rgb", "depth"]


@attrs.define(frozen=True)
class StreamSpec:
    """One image stream of a camera.

    ``name`` is ``"color"`` for a camera's main colour stream and becomes part of the feature key otherwise
    (``observation.images.<camera>_<name>``). RGB frames are ``uint8 (H, W, 3)``; depth frames are
    ``uint16 (H, W)`` in millimetres (``depth_unit="mm"``) or ``float32 (H, W)`` in metres (``"m"``).
    """

    name: str
    kind: StreamKind
    width: int
    height: int
    fps: float
    depth_unit: Literal["mm", "m"] | None = None

    def __attrs_post_init__(self):
        if not (1 <= self.width <= MAX_FRAME_SIDE and 1 <= self.height <= MAX_FRAME_SIDE):
            raise ValueError(f"stream {self.name!r} is {self.width}x{self.height}; lerec records frames of 1 to "
                             f"{MAX_FRAME_SIDE} pixels a side")
        if self.kind == "depth" and self.depth_unit not in ("mm", "m"):
            raise ValueError(f"depth stream {self.name!r} needs depth_unit 'mm' or 'm', got {self.depth_unit!r}")

    @property
    def channels(self) -> int:
        return 3 if self.kind == "rgb" else 1


@attrs.define(frozen=True)
class Frame:
    """A frame of one stream: sequence number, capture time (``time.monotonic_ns()`` clock, or the device's
    clock mapped onto it) and pixels. The recorder owns ``data`` once yielded: a camera must not reuse it."""

    stream: str
    seq: int
    timestamp_ns: int
    data: np.ndarray


def feature_key(camera: str, stream: StreamSpec | str) -> str:
    """The LeRobot feature key of a camera stream: ``observation.images.front``, ``..._depth``."""
    name = stream.name if isinstance(stream, StreamSpec) else stream
    return f"observation.images.{camera}" if name == "color" else f"observation.images.{camera}_{name}"


class Camera(abc.ABC):
    """A source of frames. Blocking SDK calls belong in ``anyio.to_thread.run_sync``, never on the loop.

    Lifecycle: ``await open()``, then ``streams`` is valid and ``frames()`` yields frames of every stream until
    the camera is closed or fails (raise :class:`lerec.errors.CameraError`); ``await close()`` always runs.
    """

    name: str

    @property
    @abc.abstractmethod
    def streams(self) -> tuple[StreamSpec, ...]:
        """The streams this camera produces, known after ``open()``."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect to the device and start capturing."""

    @abc.abstractmethod
    def frames(self) -> AsyncIterator[Frame]:
        """Yield frames as the device delivers them, newest last, for as long as the camera is open."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop capturing and release the device. Safe to call twice or after a failed open."""

    async def __aenter__(self) -> Camera:
        await self.open()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()
