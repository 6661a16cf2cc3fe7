"""The ``synthetic`` camera: deterministic frames, so a test can check what comes back against what went in.

Frame ``n`` of a stream is a pure function of ``n`` (:func:`synthetic_rgb`, :func:`synthetic_depth`). The RGB
frame carries ``n`` as a 16-cell barcode in its top band, which survives lossy encoding, so the index of a decoded
frame can be read back with :func:`read_frame_index`. Faults for tests: late start, jitter, a stall, a failure.
"""

from __future__ import annotations

import functools
import math
import random
import threading
import time
from collections.abc import AsyncIterator
from typing import Literal

import anyio
import attrs
import numpy as np

from lerec.cameras import options
from lerec.cameras.barcode import draw_barcode, read_barcode
from lerec.cameras.base import Camera, Frame, StreamSpec
from lerec.cameras.registry_types import CameraType
from lerec.errors import CameraError
from lerec.plugins.hookspecs import hookimpl

NO_DATA_FRACTION = 8  # the bottom-left 1/8 x 1/8 of a depth frame has no data (0)


def _at_most_32(_, attribute, value):
    if value > 32:
        raise ValueError(f"{attribute.name} must be an integer from 0 to 32, got {value!r}")


@attrs.define(frozen=True)
class SyntheticCameraConfig:
    """A camera that needs no hardware. ``depth`` adds a depth stream (``depth_unit`` "mm" gives uint16,
    "m" float32). ``noise`` adds deterministic texture (amplitude in grey levels) so encoders work as on real
    images. Faults: ``late_s`` delays the first frame, ``jitter_s`` delays each frame by up to that, ``stall_at``
    freezes delivery at that frame for ``stall_s``, ``fail_at`` raises a CameraError at that frame. ``event_every_s``
    marks the frames captured at each multiple of that period of the clock, as the synthetic sensors mark theirs."""

    width: int = attrs.field(default=640, validator=options.frame_side, metadata={"help": "frame width in pixels"})
    height: int = attrs.field(default=480, validator=options.frame_side, metadata={"help": "frame height in pixels"})
    fps: float = attrs.field(default=30.0, validator=options.camera_fps, metadata={"help": "frames per second delivered"})
    depth: bool = attrs.field(default=False, validator=options.boolean,
                              metadata={"help": "add a depth stream (<name>_depth)"})
    depth_unit: Literal["mm", "m"] = attrs.field(default="mm", validator=attrs.validators.in_(("mm", "m")),
                                                 metadata={"help": "depth in millimetres (uint16) or metres "
                                                           "(float32)"})
    color: bool = attrs.field(default=True, validator=options.boolean,
                              metadata={"help": "the RGB stream (false: depth only)"})
    noise: int = attrs.field(default=0, validator=attrs.validators.and_(options.count, _at_most_32),
                             metadata={"help": "texture amplitude in grey levels, 0..32, so encoders work as on "
                                       "real images"})
    late_s: float = attrs.field(default=0.0, validator=options.seconds,
                                metadata={"help": "fault: delay the first frame by this many seconds"})
    jitter_s: float = attrs.field(default=0.0, validator=options.seconds,
                                  metadata={"help": "fault: delay each frame by up to this many seconds"})
    stall_at: int | None = attrs.field(default=None, validator=options.count,
                                       metadata={"help": "fault: freeze delivery at this frame"})
    stall_s: float = attrs.field(default=0.0, validator=options.seconds,
                                 metadata={"help": "fault: for this many seconds (with stall_at)"})
    fail_at: int | None = attrs.field(default=None, validator=options.count,
                                      metadata={"help": "fault: raise a CameraError at this frame"})
    event_every_s: float | None = attrs.field(default=None, validator=options.positive_seconds,
                                              metadata={"help": "mark the frames captured within a frame period "
                                                        "after each multiple of this period of the monotonic "
                                                        "clock (a white square bottom right; black on others)"})

    def __attrs_post_init__(self):
        if not (self.color or self.depth):
            raise ValueError("a synthetic camera needs color or depth (both are off)")


@functools.lru_cache(maxsize=8)
def _grids(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    return np.linspace(0.0, 1.0, width, dtype=np.float32), np.linspace(0.0, 1.0, height, dtype=np.float32)


_NOISE_LOCK = threading.Lock()


def _noise_bank(width: int, height: int, amplitude: int) -> np.ndarray:
    """Eight texture frames, made once per size for every camera: cameras opened together would otherwise each
    build the bank at once, and its int64 draw (59 MB at VGA) times the cameras was most of a session's peak RSS."""
    with _NOISE_LOCK:
        return _made_noise_bank(width, height, amplitude)


@functools.lru_cache(maxsize=4)
def _made_noise_bank(width: int, height: int, amplitude: int) -> np.ndarray:
    # Stored as uint8 two's complement: adding wraps, which never happens because the waves stay in 38..218.
    rng = np.random.default_rng(1234)
    return rng.integers(-amplitude, amplitude + 1, size=(8, height, width, 3)).astype(np.int8).view(np.uint8)


def _wave(phase: np.ndarray, amplitude: float, base: float) -> np.ndarray:
    return np.rint(base + amplitude * np.sin(2 * math.pi * phase)).astype(np.uint8)


def synthetic_rgb(n: int, width: int, height: int, noise: int = 0) -> np.ndarray:
    """Frame ``n``: smooth moving colour waves, ``n`` as a barcode in the top eighth, optional texture.
    Each channel is built from one-dimensional uint8 waves, so a VGA frame costs well under a millisecond:
    a synthetic camera should cost the recorder no more than a real one's frame copy."""
    x, y = _grids(width, height)
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[..., 0] = _wave(2 * x + n / 45, 90, 128)[None, :]
    frame[..., 1] = _wave(2 * y - n / 60, 90, 128)[:, None]
    np.add(_wave(3 * x + n / 30, 45, 64)[None, :], _wave(3 * y + 0.25, 45, 64)[:, None], out=frame[..., 2])
    if noise:
        frame += _noise_bank(width, height, noise)[n % 8]
    draw_barcode(frame, n)
    return frame


read_frame_index = read_barcode  # the frame index a (decoded) synthetic RGB frame's barcode shows
EVENT_MARK_FRACTION = 8  # the event mark is the bottom-right 1/8 x 1/8 of an RGB frame


def _event_mark(frame: np.ndarray) -> np.ndarray:
    height, width = frame.shape[:2]
    return frame[height - height // EVENT_MARK_FRACTION:, width - width // EVENT_MARK_FRACTION:]


def mark_event(frame: np.ndarray, event: bool) -> None:
    """Paint the event mark: white on a frame captured at an event, black otherwise."""
    _event_mark(frame)[...] = 255 if event else 0


def event_marked(frame: np.ndarray) -> bool:
    """Whether a (decoded) RGB frame shows the event mark."""
    return float(_event_mark(frame).mean()) > 128


def synthetic_depth(n: int, width: int, height: int, unit: Literal["mm", "m"] = "mm") -> np.ndarray:
    """Depth frame ``n``: smooth surfaces between 0.1 m and 1.5 m, the bottom-left corner without data (0)."""
    x, y = _grids(width, height)
    mm = (
        800
        + 400 * np.sin(2 * math.pi * (x + n / 90))[None, :]
        + 300 * np.cos(2 * math.pi * (y - n / 120))[:, None]
    )
    mm[height - height // NO_DATA_FRACTION :, : width // NO_DATA_FRACTION] = 0
    if unit == "mm":
        return np.rint(mm).astype(np.uint16)
    return (mm / 1000.0).astype(np.float32)


class SyntheticCamera(Camera):
    """Delivers frame ``n`` at ``open time + late_s + n / fps`` (plus jitter and stall)."""

    def __init__(self, name: str, config: SyntheticCameraConfig):
        self.name = name
        self.config = config
        self._opened_ns: int | None = None
        self._failure: str | None = None
        streams = []
        if config.color:
            streams.append(StreamSpec("color", "rgb", config.width, config.height, config.fps))
        if config.depth:
            streams.append(StreamSpec("depth", "depth", config.width, config.height, config.fps, config.depth_unit))
        self._streams = tuple(streams)

    @property
    def streams(self) -> tuple[StreamSpec, ...]:
        return self._streams

    async def open(self) -> None:
        self._opened_ns = time.monotonic_ns()

    async def close(self) -> None:
        self._opened_ns = None

    def fail(self, reason: str = "synthetic failure on request") -> None:
        """Make the camera fail before its next frame (a fault a test sets off at a moment of its choosing, where
        ``fail_at`` counts frames from the open in real time). Safe from any task or thread."""
        self._failure = reason

    async def frames(self) -> AsyncIterator[Frame]:
        if self._opened_ns is None:
            raise CameraError(self.name, "frames() called before open()")
        cfg = self.config
        rng = random.Random(hash(self.name) & 0xFFFF)
        start = self._opened_ns / 1e9 + cfg.late_s
        period_s = 1 / cfg.fps
        limiter = anyio.CapacityLimiter(1)  # a worker of its own: never waits behind other work's threads
        n = 0
        while True:
            if cfg.fail_at is not None and n >= cfg.fail_at:
                raise CameraError(self.name, f"synthetic failure at frame {n} (fail_at={cfg.fail_at})")
            due = start + n / cfg.fps
            if cfg.stall_at is not None and n >= cfg.stall_at:
                due += cfg.stall_s
            if cfg.jitter_s:
                due += rng.uniform(0, cfg.jitter_s)
            delay = due - time.monotonic()
            if delay > period_s:  # a late start or a stall: waited on the loop, where it can be cancelled
                await anyio.sleep(delay - period_s)
            # Waited for and made on a worker thread, as a real camera's SDK call would block then return: the
            # loop wakes once a frame, when it comes (a wake of the loop costs more than a thread's).
            now, color, depth = await anyio.to_thread.run_sync(self._make, n, due, limiter=limiter)
            if self._failure is not None:  # set meanwhile (a failure injected by a test): this frame is not given
                raise CameraError(self.name, f"{self._failure} (before frame {n})")
            if color is not None and cfg.event_every_s:  # an event other streams (sensors) can share
                mark_event(color, now % int(cfg.event_every_s * 1e9) < int(1e9 / cfg.fps))
            if color is not None:
                yield Frame("color", n, now, color)
            if depth is not None:
                yield Frame("depth", n, now, depth)
            n += 1

    def _make(self, n: int, due: float) -> tuple[int, np.ndarray | None, np.ndarray | None]:
        """Frame ``n`` once ``due`` (monotonic s) has come: its capture time (monotonic ns) and pixels."""
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        now = time.monotonic_ns()
        cfg = self.config
        color = synthetic_rgb(n, cfg.width, cfg.height, cfg.noise) if cfg.color else None
        depth = synthetic_depth(n, cfg.width, cfg.height, cfg.depth_unit) if cfg.depth else None
        return now, color, depth


@hookimpl
def lerec_camera_types() -> list[CameraType]:
    return [
        CameraType(
            name="synthetic",
            config_class=SyntheticCameraConfig,
            create=SyntheticCamera,
            description="deterministic test frames (RGB and optional depth), no hardware needed",
        )
    ]
