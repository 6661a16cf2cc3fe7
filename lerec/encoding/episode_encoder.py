"""Encoding one episode of one stream into a one-fragment MP4, frame by frame, on a worker thread."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from lerec.encoding.codec_logs import quiet_codec_logs, quiet_options
from lerec.encoding.realtime import calm_new_threads, hurry_threads, keeping_caller_policy, thread_ids

# One fragment per episode: written at close, so appending it to a dataset file is a byte copy.
FRAGMENTED_MP4 = {"movflags": "empty_moov+default_base_moof+frag_custom"}


class EpisodeEncoder:
    """Writes frames ``0..n-1`` at pts ``k / fps`` into ``path``. Calls must come from one thread at a time.
    ``beside_loop``: a control loop runs beside it, its threads stay below the loop until :meth:`hurry`."""

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        codec: str,
        options: dict[str, str],
        width: int,
        height: int,
        fps: int,
        pix_fmt: str,
        input_format: str,
        beside_loop: bool = True,
    ):
        self.path = Path(path)
        self.fps = fps
        self.input_format = input_format
        self.frames = 0
        quiet_codec_logs()
        self._threads_before = thread_ids()
        self._threads: set[int] = set()  # the codec's own, calmed
        self._hurried = not beside_loop
        with keeping_caller_policy():
            self._open(codec, options, width, height, fps, pix_fmt)
        self._calm()

    def _calm(self) -> None:
        self._threads |= calm_new_threads(self._threads_before, beside_loop=not self._hurried)
        if self._hurried:  # read after the threads were added: hurry() from another thread misses none
            hurry_threads(set(self._threads))

    def hurry(self) -> None:
        """The loop has taken its last tick: the codec's threads drain at a share of the CPU rather than only
        what the machine leaves (see :mod:`lerec.encoding.realtime`). Callable from any thread."""
        self._hurried = True
        hurry_threads(set(self._threads))

    def _open(self, codec: str, options: dict[str, str], width: int, height: int, fps: int, pix_fmt: str) -> None:
        self._container = av.open(str(self.path), "w", format="mp4", options=dict(FRAGMENTED_MP4))
        try:
            self._stream = self._container.add_stream(codec, rate=fps, options=quiet_options(codec, dict(options)))
            self._stream.width = width
            self._stream.height = height
            self._stream.pix_fmt = pix_fmt
            self._stream.time_base = Fraction(1, fps)
            self._stream.codec_context.time_base = Fraction(1, fps)
            self._stream.codec_context.open()
        except Exception:
            self._container.close()
            raise

    def encode(self, image: np.ndarray) -> None:
        """Encode the next frame (RGB uint8 HxWx3, or uint16 codes HxW for grey formats)."""
        # The frame reads the array itself (no copy): PyAV converts it to the codec's format, or FFmpeg copies a
        # frame it does not own, before the encoder keeps anything.
        frame = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(image), format=self.input_format)
        frame.pts = self.frames
        frame.time_base = Fraction(1, self.fps)
        if self.frames == 0:  # some encoders start their threads with the first frame
            with keeping_caller_policy():
                self._container.mux(self._stream.encode(frame))
            self._calm()
        else:
            self._container.mux(self._stream.encode(frame))
        self.frames += 1

    def finish(self) -> Path:
        """Flush the encoder and close the file; returns its path."""
        self._container.mux(self._stream.encode(None))
        self._container.close()
        return self.path

    def abort(self) -> None:
        """Close and delete the file. The encoder still gets its end of stream (SVT-AV1 reports an error at
        deinit otherwise); what it flushes is dropped."""
        try:
            self._stream.encode(None)
        except Exception:
            pass
        try:
            self._container.close()
        except Exception:
            pass
        self.path.unlink(missing_ok=True)
