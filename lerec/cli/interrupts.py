"""Ctrl-C and SIGTERM during a recording session (``lerec record``, ``lerec rollout``)."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

import anyio

from lerec.recording import Recorder


class Interrupts:
    """Ctrl-C (or SIGTERM) once ends the episode, saves it and stops; twice abandons the episode being saved (every
    file it changed put back) and exits at once. Before the session has started, once stops the set-up.

    The handlers are Python's own, installed before the event loop starts and kept until the command returns (then
    ignored, once a signal came): no Ctrl-C, however late, raises ``KeyboardInterrupt`` in the middle of a write or
    kills the interpreter's exit. They hand the signal to the event loop, which acts on it between two steps."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.count = 0
        self.recorder: Recorder | None = None
        self.setup: anyio.CancelScope | None = None  # the session's set-up, which one Ctrl-C cancels
        self.loop: asyncio.AbstractEventLoop | None = None
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        self._previous = {sig: signal.signal(sig, self._on_signal) for sig in self.SIGNALS}

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            # Once the user interrupted, the command is ending: a later Ctrl-C must not kill its exit (the
            # interpreter resets Python handlers to the default, which kills, as it finalizes; it keeps SIG_IGN).
            signal.signal(sig, signal.SIG_IGN if self.count else handler)

    def _on_signal(self, signum, frame) -> None:
        self.count += 1
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._act, self.count)

    def _act(self, count: int) -> None:
        rec = self.recorder
        if rec is None:
            self.setup.cancel()
        elif rec.status.phase == "converting depth" and count == 1:
            print("\nconverting depth (Ctrl-C again to stop; the depth then stays FFV1 and "
                  "`lerec convert-depth` converts it later)", file=sys.stderr)
        elif count == 1:
            print("\nstopping: saving the current episode (Ctrl-C again to abort it)", file=sys.stderr)
            rec.stop()
        else:
            print("\naborting: abandoning the episode being saved", file=sys.stderr)
            rec.abort()
