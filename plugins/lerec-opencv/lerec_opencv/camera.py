"""An OpenCV ``VideoCapture`` as a lerec camera: every OpenCV call runs in a worker thread, one at a time."""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import AsyncIterator

import anyio
import cv2
import numpy as np

from lerec.cameras.base import Camera, Frame, StreamSpec
from lerec.errors import CameraError
from lerec_opencv.config import OpenCVCameraConfig

_BACKEND_API = {
    "any": cv2.CAP_ANY,
    "v4l2": cv2.CAP_V4L2,
    "ffmpeg": cv2.CAP_FFMPEG,
    "gstreamer": cv2.CAP_GSTREAMER,
    "dshow": cv2.CAP_DSHOW,
    "msmf": cv2.CAP_MSMF,
    "avfoundation": cv2.CAP_AVFOUNDATION,
}
_ROTATE_CODE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
DEFAULT_FPS = 30.0


def quiet_opencv_logs() -> None:
    """Keep OpenCV's own ``[ WARN:...]`` lines (a failed open logs several, before lerec's one-line error) out of
    the terminal: silent, unless the user set OPENCV_LOG_LEVEL or asked lerec for debug messages (-v)."""
    if "OPENCV_LOG_LEVEL" not in os.environ and not logging.getLogger().isEnabledFor(logging.DEBUG):
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


def fourcc_text(code: float) -> str:
    """``cv2.CAP_PROP_FOURCC``'s number as its four characters (``"MJPG"``)."""
    value = int(code)
    return "".join(chr((value >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00")


class OpenCVCamera(Camera):
    """A device, stream or video file read through ``cv2.VideoCapture``; frames leave as RGB ``uint8``."""

    def __init__(self, name: str, config: OpenCVCameraConfig):
        self.name = name
        self.config = config
        self._capture: cv2.VideoCapture | None = None
        self._limiter = anyio.CapacityLimiter(1)  # a VideoCapture is not thread-safe
        self._stream: StreamSpec | None = None
        self._first: np.ndarray | None = None  # the frame read while opening, delivered first

    @property
    def streams(self) -> tuple[StreamSpec, ...]:
        if self._stream is None:
            raise CameraError(self.name, "streams are known only after open()")
        return (self._stream,)

    async def _run(self, fn, *args):
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    async def open(self) -> None:
        self._capture = await self._run(self._open_capture)
        try:
            await self._run(self._configure)
            self._first = await self._run(self._read_first)
            if self.config.warmup_s and self.config.source_kind != "file":
                deadline = time.monotonic() + self.config.warmup_s
                while time.monotonic() < deadline:
                    self._first = await self._run(self._read_first)
        except BaseException:
            await self.close()
            raise

    def _open_capture(self) -> cv2.VideoCapture:
        cfg = self.config
        if cfg.source_kind == "file" and not os.path.isfile(cfg.source):
            raise CameraError(self.name, f"video file {cfg.source!r} does not exist")
        if isinstance(cfg.source, str) and cfg.source.startswith("/dev/") and not os.path.exists(cfg.source):
            raise CameraError(self.name, f"device {cfg.source} does not exist (see `lerec cameras --find`)")
        quiet_opencv_logs()
        capture = cv2.VideoCapture(cfg.source, _BACKEND_API[cfg.backend])
        if not capture.isOpened():
            capture.release()
            raise CameraError(self.name, f"OpenCV cannot open {cfg.source!r} (backend {cfg.backend}; "
                                         "`lerec cameras --find` lists the devices)")
        return capture

    def _configure(self) -> None:
        """Ask a device for the configured format, then check what it actually gives."""
        cfg, capture = self.config, self._capture
        if cfg.source_kind == "device":
            if cfg.fourcc:
                capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*cfg.fourcc))
            if cfg.width is not None:
                capture.set(cv2.CAP_PROP_FRAME_WIDTH, cfg.width)
                capture.set(cv2.CAP_PROP_FRAME_HEIGHT, cfg.height)
            if cfg.fps is not None:
                capture.set(cv2.CAP_PROP_FPS, cfg.fps)
        if cfg.fourcc and cfg.source_kind == "device":
            got = fourcc_text(capture.get(cv2.CAP_PROP_FOURCC))
            if got.upper() != cfg.fourcc.upper():
                raise CameraError(self.name, f"fourcc {cfg.fourcc!r} requested, the device gave {got!r}")
        width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        what = "the file is" if cfg.source_kind == "file" else "the device gave"
        if cfg.width is not None and (width, height) != (cfg.width, cfg.height):
            raise CameraError(self.name, f"size {cfg.width}x{cfg.height} requested, {what} {width}x{height}")
        fps = capture.get(cv2.CAP_PROP_FPS)
        if cfg.fps is not None and not math.isclose(fps, cfg.fps, rel_tol=1e-3):
            raise CameraError(self.name, f"fps {cfg.fps:g} requested, {what} {fps:g}")
        if not fps or not math.isfinite(fps) or fps > 1000:
            fps = cfg.fps or DEFAULT_FPS
        if cfg.rotation in (90, 270):
            width, height = height, width
        self._stream = StreamSpec("color", "rgb", width, height, float(fps))

    def _read_first(self) -> np.ndarray:
        image = self._read_rgb()
        if image is None:
            raise CameraError(self.name, f"opened {self.config.source!r} but could not read a frame from it")
        return image

    def _read_rgb(self) -> np.ndarray | None:
        """One frame as RGB in the stream's shape, or ``None`` when the read failed (or a file ended)."""
        ok, image = self._capture.read()
        if not ok or image is None:
            return None
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        elif self.config.color_order == "bgr":
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        if self.config.rotation:
            image = cv2.rotate(image, _ROTATE_CODE[self.config.rotation])
        spec = self._stream
        if image.shape != (spec.height, spec.width, 3):
            raise CameraError(
                self.name, f"frame of shape {image.shape}, expected {(spec.height, spec.width, 3)}", "color"
            )
        return image

    def _device_gone(self) -> bool:
        source = self.config.source
        return isinstance(source, str) and source.startswith("/dev/") and not os.path.exists(source)

    async def frames(self) -> AsyncIterator[Frame]:
        if self._capture is None:
            raise CameraError(self.name, "frames() called before open()")
        if self.config.source_kind == "file":
            async for frame in self._file_frames():
                yield frame
            return
        period_s = 1.0 / self._stream.fps
        seq = 0
        failures = 0
        image, self._first = self._first, None
        while True:
            if image is None:
                image = await self._run(self._read_rgb)
            if image is None:
                failures += 1
                if self._device_gone():
                    raise CameraError(self.name, f"device {self.config.source} is gone (unplugged?)", "color")
                if failures > self.config.read_retries:
                    raise CameraError(
                        self.name, f"{failures} reads in a row failed: the camera is gone or stalled", "color"
                    )
                await anyio.sleep(period_s / 2)
                continue
            failures = 0
            yield Frame("color", seq, time.monotonic_ns(), image)
            seq += 1
            image = None

    async def _file_frames(self) -> AsyncIterator[Frame]:
        """A file's frames until it ends; in ``realtime``, frame ``n`` is due at ``start + n / fps``."""
        start_ns = time.monotonic_ns()
        period_ns = 1e9 / self._stream.fps
        seq = 0
        image, self._first = self._first, None
        while image is not None:
            if self.config.realtime:
                due_ns = start_ns + round(seq * period_ns)
                await anyio.sleep(max(0.0, (due_ns - time.monotonic_ns()) / 1e9))
                timestamp_ns = due_ns
            else:
                timestamp_ns = time.monotonic_ns()
            yield Frame("color", seq, timestamp_ns, image)
            seq += 1
            image = await self._run(self._read_rgb)

    async def close(self) -> None:
        capture, self._capture, self._first = self._capture, None, None
        if capture is not None:
            await self._run(capture.release)
