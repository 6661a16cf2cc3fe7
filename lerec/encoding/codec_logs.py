"""Codec libraries' own logs: nothing on the terminal, FFmpeg's messages in Python logging at DEBUG.

SVT-AV1 prints a ~25-line banner per encoder and x265 a dozen lines, straight to stderr; a library must not.
"""

from __future__ import annotations

import logging
import os

import av.logging

log = logging.getLogger("lerec.ffmpeg")
_quieted = False


class _RelayAtDebug(logging.Handler):
    """PyAV logs FFmpeg's messages to ``libav.<component>`` at FFmpeg's level; lerec passes them on at DEBUG."""

    def emit(self, record: logging.LogRecord) -> None:
        log.debug("%s: %s", record.name, record.getMessage())


def quiet_codec_logs() -> None:
    """Before the first encoder opens (once per process): SVT-AV1 logs errors only (``SVT_LOG=1``, unless the
    environment sets it), x265 and FFmpeg below ERROR are off, and unless the application set PyAV's log level
    itself, FFmpeg's warnings and errors reach the ``lerec.ffmpeg`` logger at DEBUG (PyAV also keeps the last
    error for its exception messages)."""
    global _quieted
    if _quieted:
        return
    _quieted = True
    os.environ.setdefault("SVT_LOG", "1")  # read by SVT-AV1 when its first encoder opens
    av.logging.set_libav_level(av.logging.ERROR)  # libx265 and libx264 take their log level from FFmpeg's
    libav = logging.getLogger("libav")
    if av.logging.get_level() is None and not libav.handlers:
        libav.addHandler(_RelayAtDebug())
        libav.propagate = False
        av.logging.set_level(av.logging.WARNING)  # filtered in C: lower levels never take the GIL
