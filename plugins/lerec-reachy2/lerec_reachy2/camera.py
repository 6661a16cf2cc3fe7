"""A Reachy 2 camera through reachy2-sdk's CameraManager, polled off the event loop at the configured fps."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import anyio
import grpc
import numpy as np
from reachy2_sdk.media.camera import CameraView
from reachy2_sdk.media.camera_manager import CameraManager

from lerec.cameras.base import Camera, Frame, StreamSpec
from lerec.cameras.device_clock import DeviceClock
from lerec.errors import CameraError
from lerec_reachy2.config import Reachy2CameraConfig

_VIEW = {"left": CameraView.LEFT, "right": CameraView.RIGHT, "rgb": CameraView.LEFT, "depth": CameraView.DEPTH}


class Reachy2Camera(Camera):
    """One image of a Reachy 2 camera: colour (``color`` stream) or depth in mm (``depth`` stream)."""

    def __init__(self, name: str, config: Reachy2CameraConfig):
        self.name = name
        self.config = config
        self._limiter = anyio.CapacityLimiter(1)
        self._manager: CameraManager | None = None
        self._sdk_camera = None
        self._first: tuple[np.ndarray, int] | None = None  # fetched by open(): frames flow from the first tick
        self._stream: StreamSpec | None = None

    @property
    def _is_depth(self) -> bool:
        return self.config.image_type == "depth"

    @property
    def _where(self) -> str:
        return f"Reachy 2 video service at {self.config.host}:{self.config.port}"

    @property
    def streams(self) -> tuple[StreamSpec, ...]:
        if self._stream is None:
            raise CameraError(self.name, "streams are known only after open()")
        return (self._stream,)

    async def _call(self, fn, *args):
        """A blocking SDK call in a worker thread, abandoned (and an error) after ``read_timeout_s``."""
        try:
            with anyio.fail_after(self.config.read_timeout_s):
                return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter, abandon_on_cancel=True)
        except TimeoutError:
            raise CameraError(self.name, f"{self._where} did not answer within {self.config.read_timeout_s:g} s")
        except grpc.RpcError as exc:
            raise CameraError(self.name, f"{self._where}: {exc.code().name}: {exc.details()}") from exc

    async def open(self) -> None:
        try:
            self._manager = await self._call(self._connect)
            self._sdk_camera = self._manager.teleop if self.config.name == "teleop" else self._manager.depth
            if self._sdk_camera is None:
                raise CameraError(self.name, f"the robot has no {self.config.name} camera ({self._where})")
            self._first = await self._read_until_frame()
            height, width = self._first[0].shape[:2]
            if self._is_depth:
                self._stream = StreamSpec("depth", "depth", width, height, self.config.fps, "mm")
            else:
                self._stream = StreamSpec("color", "rgb", width, height, self.config.fps)
        except BaseException:
            await self.close()
            raise

    def _connect(self) -> CameraManager:
        try:
            return CameraManager(self.config.host, self.config.port)
        except ConnectionError as exc:
            rpc = exc.__context__  # the SDK wraps the gRPC error's multi-line repr into its message
            reason = f"{rpc.code().name}: {rpc.details()}" if isinstance(rpc, grpc.RpcError) else str(exc)
            raise CameraError(self.name, f"cannot connect to the {self._where}: {reason}") from exc

    def _fetch(self) -> tuple[np.ndarray, int] | None:
        """One frame and its SDK timestamp (ns), or ``None`` for an empty or undecodable reply."""
        if self._is_depth:
            reply = self._sdk_camera.get_depth_frame(_VIEW["depth"])
            return None if reply is None else (np.array(reply[0]), reply[1])  # own the bytes gRPC handed over
        reply = self._sdk_camera.get_frame(_VIEW[self.config.image_type])
        if reply is None:
            return None
        bgr, timestamp_ns = reply
        return np.ascontiguousarray(bgr[..., ::-1]), timestamp_ns

    async def _read_until_frame(self) -> tuple[np.ndarray, int]:
        for _ in range(self.config.read_retries + 1):
            reply = await self._call(self._fetch)
            if reply is not None:
                return reply
            await anyio.sleep(0.5 / self.config.fps)
        raise CameraError(self.name, f"{self.config.read_retries + 1} empty or undecodable frames in a row")

    async def frames(self) -> AsyncIterator[Frame]:
        if self._sdk_camera is None:
            raise CameraError(self.name, "frames() called before open()")
        stream = self._stream.name
        clock = DeviceClock()
        period_ns = 1e9 / self.config.fps
        start_ns = time.monotonic_ns()
        seq, tick = 0, 0
        last_sdk_ns = None
        reply, self._first = self._first, None
        while True:
            if reply is None:
                reply = await self._read_until_frame()
            data, sdk_ns = reply
            arrival_ns = time.monotonic_ns()
            if sdk_ns != last_sdk_ns:  # the robot had no newer frame at this tick: nothing new to record
                last_sdk_ns = sdk_ns
                yield Frame(stream, seq, clock.to_monotonic_ns(sdk_ns, arrival_ns), data)
                seq += 1
            tick = max(tick + 1, int((time.monotonic_ns() - start_ns) // period_ns))
            await anyio.sleep(max(0.0, (start_ns + tick * period_ns - time.monotonic_ns()) / 1e9))
            reply = None

    async def close(self) -> None:
        manager, self._manager, self._sdk_camera, self._first = self._manager, None, None, None
        if manager is not None:
            await anyio.to_thread.run_sync(manager.disconnect, limiter=self._limiter)
