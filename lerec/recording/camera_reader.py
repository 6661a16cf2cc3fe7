"""A camera running for a whole session: keeps the newest frame of each stream, and its error if it fails.

A camera that fails ends the episode whose tick next reads it (:meth:`CameraReader.newest` raises the camera's
own error); one failing after an episode's last tick has given every frame of that episode: it surfaces at the
next one."""

from __future__ import annotations

import collections
import logging
import time

import anyio
from anyio.abc import TaskStatus

from lerec.cameras.base import Camera, Frame, StreamSpec
from lerec.errors import CameraError
from lerec.recording.tick_phase import ARRIVALS_KEPT

log = logging.getLogger(__name__)


class CameraReader:
    """Owns one camera inside the recorder's task group."""

    def __init__(self, name: str, camera: Camera):
        self.name = name
        self.camera = camera
        self.latest: dict[str, Frame] = {}
        self.received: dict[str, int] = {}
        # When the last frames of each stream became the newest (monotonic ns): where the ticks go between them.
        self.arrivals: dict[str, collections.deque[int]] = collections.defaultdict(
            lambda: collections.deque(maxlen=ARRIVALS_KEPT))
        self.error: CameraError | None = None  # the camera's failure; it stays failed for the session
        self.error_raised = False  # an episode has raised it (else it is logged when the session ends)
        self._first_frames = anyio.Event()

    @property
    def streams(self) -> tuple[StreamSpec, ...]:
        return self.camera.streams

    async def run(self, *, task_status: TaskStatus = anyio.TASK_STATUS_IGNORED) -> None:
        """Open the camera, then store frames until cancelled or the camera fails."""
        try:
            await self.camera.open()
        except Exception as exc:
            task_status.started(self._as_camera_error(exc, "could not open"))
            await self._close()
            return
        task_status.started(None)
        try:
            async for frame in self.camera.frames():
                self.latest[frame.stream] = frame
                self.received[frame.stream] = self.received.get(frame.stream, 0) + 1
                self.arrivals[frame.stream].append(time.monotonic_ns())
                if not self._first_frames.is_set() and len(self.latest) == len(self.streams):
                    self._first_frames.set()
            raise CameraError(self.name, "stopped delivering frames (its frame stream ended)")
        except Exception as exc:
            self.error = self._as_camera_error(exc, "failed")
            log.debug("%s", self.error)  # the recorder raises it, once
            self._first_frames.set()
        finally:
            await self._close()

    def _as_camera_error(self, exc: Exception, what: str) -> CameraError:
        if isinstance(exc, CameraError):
            if len(self._streams_known()) == 1:  # the camera's one stream is the one
                exc.name_stream(self._streams_known()[0].name)
            return exc
        error = CameraError(self.name, f"{what}: {type(exc).__name__}: {exc}")
        error.__cause__ = exc
        return error

    def _streams_known(self) -> tuple[StreamSpec, ...]:
        try:
            return tuple(self.streams)
        except Exception:  # a camera that failed to open may not know them
            return ()

    async def _close(self) -> None:
        with anyio.CancelScope(shield=True):
            try:
                await self.camera.close()
            except Exception as exc:
                log.warning("camera %r: error while closing: %s", self.name, exc)

    def raise_if_failed(self) -> None:
        """Raise the camera's error, if it failed."""
        if self.error is not None:
            self.error_raised = True
            raise self.error

    def newest(self, stream: str) -> Frame:
        """The newest frame of ``stream``; raises the camera's error if it failed."""
        self.raise_if_failed()
        return self.latest[stream]

    async def wait_first_frames(self, timeout_s: float) -> None:
        """Wait until every stream has delivered a frame, or raise a CameraError naming the silent streams."""
        with anyio.move_on_after(timeout_s):
            await self._first_frames.wait()
        if self.error:
            raise self.error
        missing = [s.name for s in self.streams if s.name not in self.latest]
        if missing:
            raise CameraError(self.name, f"no frame within {timeout_s:g} s", stream=", ".join(missing))

    def age_s(self, stream: str) -> float:
        frame = self.latest.get(stream)
        return (time.monotonic_ns() - frame.timestamp_ns) / 1e9 if frame else float("inf")
