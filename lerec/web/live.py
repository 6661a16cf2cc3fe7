"""The operate side of the web app: a recording session as it runs, and the buttons that steer it.

The app knows a session only through :class:`LiveSession` (the CLI wires a recorder into one): the web package
never imports the recorder. Camera frames are JPEG-encoded here, on the web server's worker threads, at most
``max_fps`` times a second per stream whoever asks, and never on the recorder's control loop.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

import numpy as np

from lerec.web.guard import BadRequest
from lerec.web.media import jpeg

COMMANDS = ("next", "rerecord", "stop", "success", "failure")
LIVE_WIDTH = 480


class LiveSession(Protocol):
    """What the operate page needs from a recording session."""

    def status(self) -> dict[str, Any]:
        """A JSON-able snapshot: phase, episode, tick, length, fps, time_left_s, episodes, streams, warnings."""

    def streams(self) -> list[str]:
        """The stream keys whose newest frame :meth:`newest_frame` gives."""

    def newest_frame(self, key: str) -> np.ndarray | None:
        """The newest frame of stream ``key`` (the camera's own array: read it, never change it), or None."""

    def command(self, name: str) -> str:
        """Do what a key does: one of :data:`COMMANDS`; returns a one-line account of it."""


class LiveFrames:
    """Downscaled JPEGs of a session's newest frames, each re-encoded at most ``max_fps`` times a second."""

    def __init__(self, session: LiveSession, max_fps: float = 5.0, width: int = LIVE_WIDTH):
        self.session = session
        self.period_ns = int(1e9 / max_fps)
        self.width = width
        self._cache: dict[str, tuple[int, bytes]] = {}
        self._locks: dict[str, threading.Lock] = {}

    def jpeg(self, key: str) -> bytes:
        if key not in self.session.streams():
            raise BadRequest(404, f"no stream {key!r}; streams: {', '.join(self.session.streams())}")
        lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # two pages asking at once: one encodes, the other takes its result
            now = time.monotonic_ns()
            cached = self._cache.get(key)
            if cached is not None and now - cached[0] < self.period_ns:
                return cached[1]
            frame = self.session.newest_frame(key)
            if frame is None:
                raise BadRequest(404, f"stream {key!r} has no frame yet")
            data = jpeg(frame, self.width)
            self._cache[key] = (now, data)
            return data


def command(session: LiveSession, body: Any, read_only: bool) -> dict[str, str]:
    """Run the command named in ``body`` ({command: NAME}) on the session."""
    if read_only:
        raise BadRequest(403, "this page is read-only (started with --read-only)")
    name = body.get("command") if isinstance(body, dict) else None
    if name not in COMMANDS:
        raise BadRequest(400, f"command={name!r}: one of {', '.join(COMMANDS)}")
    return {"command": name, "done": session.command(name)}
