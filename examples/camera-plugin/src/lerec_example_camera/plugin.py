"""The ``stripes`` camera: vertical stripes that move one pixel per frame."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import anyio
import attrs
import numpy as np

from lerec.cameras import Camera, CameraType, FoundCamera, Frame, StreamSpec, hookimpl
from lerec.errors import CameraError


@attrs.define(frozen=True)
class StripesConfig:
    """Options users write in ``--cameras``: ``{type: stripes, width: 320, height: 240, fps: 15}``."""

    width: int = attrs.field(default=320, validator=attrs.validators.gt(0))
    height: int = attrs.field(default=240, validator=attrs.validators.gt(0))
    fps: float = attrs.field(default=15.0, validator=attrs.validators.gt(0))
    period: int = attrs.field(default=16, validator=attrs.validators.gt(1))


def stripes_frame(n: int, config: StripesConfig) -> np.ndarray:
    """Frame ``n``: white where ``(x + n) // (period / 2)`` is even, black elsewhere."""
    x = np.arange(config.width)
    row = np.where(((x + n) // (config.period // 2)) % 2 == 0, 255, 0).astype(np.uint8)
    return np.ascontiguousarray(np.broadcast_to(row[None, :, None], (config.height, config.width, 3)))


class StripesCamera(Camera):
    def __init__(self, name: str, config: StripesConfig):
        self.name = name
        self.config = config
        self._opened_ns: int | None = None

    @property
    def streams(self) -> tuple[StreamSpec, ...]:
        return (StreamSpec("color", "rgb", self.config.width, self.config.height, self.config.fps),)

    async def open(self) -> None:
        self._opened_ns = time.monotonic_ns()

    async def close(self) -> None:
        self._opened_ns = None

    async def frames(self) -> AsyncIterator[Frame]:
        if self._opened_ns is None:
            raise CameraError(self.name, "frames() called before open()")
        n = 0
        while self._opened_ns is not None:
            due_ns = self._opened_ns + round(n * 1e9 / self.config.fps)
            await anyio.sleep(max(0.0, (due_ns - time.monotonic_ns()) / 1e9))
            yield Frame("color", n, time.monotonic_ns(), stripes_frame(n, self.config))
            n += 1


def find_stripes() -> list[FoundCamera]:
    return [FoundCamera("stripes (a camera drawn in numpy, always there)", {"width": 320, "height": 240})]


@hookimpl
def lerec_camera_types() -> list[CameraType]:
    return [
        CameraType(
            name="stripes",
            config_class=StripesConfig,
            create=StripesCamera,
            find=find_stripes,
            description="example third-party plugin: moving stripes",
        )
    ]
