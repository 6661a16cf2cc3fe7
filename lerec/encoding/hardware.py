"""Whether an encoder really works here: a trial open on a real-size frame, done once per process.

An encoder can be present in FFmpeg and still fail to open: PyAV's Linux wheels carry NVENC and QSV, which need
an NVIDIA driver or an Intel media stack at run time. Only opening one and encoding a frame tells.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from fractions import Fraction

import av
import av.logging
import numpy as np

from lerec.encoding.codec_logs import quiet_codec_logs, quiet_options
from lerec.encoding.codec_options import video_encoder
from lerec.encoding.realtime import calm_new_threads, keeping_caller_policy, thread_ids

HARDWARE_CAPABILITIES = 1 << 18 | 1 << 19  # AV_CODEC_CAP_HARDWARE | AV_CODEC_CAP_HYBRID
_HARDWARE_SUFFIXES = ("_nvenc", "_qsv", "_vaapi", "_videotoolbox", "_amf", "_v4l2m2m", "_vulkan", "_mf", "_mediacodec")


def is_hardware_encoder(name: str) -> bool:
    """True for encoders that run on a GPU or media engine (NVENC, QSV, VAAPI, VideoToolbox, AMF, V4L2...)."""
    codec = video_encoder(name)
    if codec is not None and codec.capabilities & HARDWARE_CAPABILITIES:
        return True
    return name.endswith(_HARDWARE_SUFFIXES)


@contextlib.contextmanager
def ffmpeg_errors() -> Iterator[list[str]]:
    """Collect the error messages FFmpeg logs on this thread while the block runs."""
    errors: list[str] = []
    previous = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture() as logs:
            yield errors
    finally:
        av.logging.set_level(previous)
        errors.extend(message.strip() for level, _name, message in logs if level <= av.logging.ERROR)


def blank_frame(width: int, height: int, pix_fmt: str) -> av.VideoFrame:
    """A mid-grey frame of the given size and pixel format."""
    frame = av.VideoFrame(width, height, pix_fmt)
    for plane in frame.planes:
        np.frombuffer(plane, dtype=np.uint8)[:] = 0x80
    frame.pts = 0
    return frame


def trial_open(encoder: str, pix_fmt: str, width: int, height: int, options: dict[str, str]) -> str | None:
    """Open ``encoder`` with ``options`` and encode one frame; None if it works, else why not. Cached per process."""
    return _trial_open(encoder, pix_fmt, width, height, tuple(sorted(options.items())))


@functools.cache
def _trial_open(
    encoder: str, pix_fmt: str, width: int, height: int, options: tuple[tuple[str, str], ...]
) -> str | None:
    exception: Exception | None = None
    quiet_codec_logs()
    threads_before = thread_ids()
    with ffmpeg_errors() as errors, keeping_caller_policy():  # SVT-AV1 makes its caller SCHED_FIFO
        try:
            context = av.codec.context.CodecContext.create(encoder, "w")
            context.width, context.height, context.pix_fmt = width, height, pix_fmt
            context.time_base = Fraction(1, 30)
            context.framerate = Fraction(30, 1)
            context.options = quiet_options(encoder, dict(options))
            context.open()
            calm_new_threads(threads_before)  # below the camera readers already running, as when recording
            ignored = dict(context.options)
            context.encode(blank_frame(width, height, pix_fmt))
            context.encode(None)
        except Exception as exc:  # any failure to open or encode is the answer we want, not a crash
            exception = exc
    if exception is None:
        return f"FFmpeg ignored options {sorted(ignored)}" if ignored else None
    detail = "; ".join(dict.fromkeys(errors)) or str(exception)
    return f"{type(exception).__name__}: {detail}"
