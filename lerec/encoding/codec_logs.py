"""Codec libraries' own logs: nothing on the terminal from a library.

SVT-AV1 prints a ~25-line banner per encoder and x265 a dozen lines, straight to stderr. FFmpeg's own messages
stay with PyAV's default (dropped): PyAV's Python log callback takes the GIL from FFmpeg's threads, and with
HEVC frame-threaded decoding it deadlocked the test suite on a loaded machine (the decoder threads waiting for
the GIL, the thread holding it waiting for them). Errors still reach lerec's exceptions through
:func:`lerec.encoding.hardware.ffmpeg_errors` where an encoder is tried.
"""

from __future__ import annotations

import os

import av.logging

_quieted = False


def quiet_codec_logs() -> None:
    """Before the first encoder opens (once per process): SVT-AV1 logs errors only (``SVT_LOG=1``, unless the
    environment sets it: ``SVT_LOG=3`` shows its configuration), and FFmpeg's level is ERROR, which libx264 and
    libx265 follow for their banners."""
    global _quieted
    if _quieted:
        return
    _quieted = True
    os.environ.setdefault("SVT_LOG", "1")  # read by SVT-AV1 when its first encoder opens
    av.logging.set_libav_level(av.logging.ERROR)


def quiet_options(codec: str, options: dict[str, str]) -> dict[str, str]:
    """``options`` as opened: x265 prints its banner unless told in its own parameters (FFmpeg 7.1's libx265, in
    PyAV 15, does not pass FFmpeg's log level on), so ``log-level=error`` is added unless the settings name one.
    The dataset records the settings as given."""
    if codec != "libx265":
        return options
    params = options.get("x265-params", "")
    if "log-level" in params:
        return options
    return {**options, "x265-params": f"{params}:log-level=error" if params else "log-level=error"}
