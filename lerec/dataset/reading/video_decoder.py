"""Frames of an MP4 by presentation time: open decoders kept per file, seeking only when it pays.

A request for frames at times ``t`` decodes from the keyframe at or before the first ``t`` (with ``g=2`` that is
at most one extra frame) and converts only the frames asked for. A following request a little later in the same
file continues decoding where the last one stopped instead of seeking again, so reading an episode in order
decodes every frame once.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from lerec.errors import DatasetError, one_line

# Decode on from the last frame rather than seek when the next request is at most this far ahead.
CONTINUE_WINDOW_S = 0.3
# LeRobot's tolerance between a query time and the frame it gets (seconds).
DEFAULT_TOLERANCE_S = 1e-4


class FrameMissingError(DatasetError):
    """No frame of the video sits at the requested time (within tolerance)."""

    def __init__(self, path: Path, time_s: float, nearest_s: float | None):
        self.path = path
        self.time_s = time_s
        self.nearest_s = nearest_s
        near = f"nearest frame at {nearest_s:.6f} s" if nearest_s is not None else "no frame decoded near it"
        super().__init__(f"{path}: no frame at {time_s:.6f} s ({near})")


class VideoDecoder:
    """One open MP4. ``output`` is ``"rgb24"`` (uint8 H×W×3) or ``"gray12le"`` (uint16 H×W codes)."""

    def __init__(self, path: str | os.PathLike, output: str = "rgb24"):
        self.path = Path(path)
        self.output = output
        try:
            self._container = av.open(str(self.path))
        except (av.FFmpegError, OSError) as exc:
            raise DatasetError(f"{self.path}: cannot open video ({one_line(exc)})") from None
        if not self._container.streams.video:
            self._container.close()
            raise DatasetError(f"{self.path}: no video stream")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "SLICE"
        if self._stream.codec_context.name == "libdav1d":
            # dav1d's frame threading holds frames back; random access wants each frame as soon as it is decoded.
            # Then dav1d's own threads only cost: a VGA frame took 1.07 ms of CPU on one, 1.4–1.6 ms on its default
            # (wall 1.05 against 1.25 ms); 720p and 1080p frames took no longer on one. Streams run side by side.
            self._stream.codec_context.options = {"max_frame_delay": "1"}
            self._stream.codec_context.thread_count = 1
        self._time_base = float(self._stream.time_base)
        # One converter for the file: a frame's own ``to_ndarray(format=)`` builds a new swscale context each time,
        # which cost more than the conversion itself (0.5 against 0.19 ms for a VGA frame; same pixels).
        self._reformatter = VideoReformatter()
        self._frames = None  # the decode iterator, positioned after ``self._last``
        self._last: tuple[float, av.VideoFrame] | None = None

    def close(self) -> None:
        self._frames = None
        self._last = None
        self._container.close()

    def _seek(self, time_s: float) -> None:
        target = max(0, int(round(time_s / self._time_base)))
        self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
        self._frames = self._container.decode(self._stream)
        self._last = None

    def _next(self) -> tuple[float, av.VideoFrame] | None:
        for frame in self._frames:
            if frame.pts is None:
                continue
            self._last = (frame.pts * self._time_base, frame)
            return self._last
        self._frames = None
        return None

    def _convert(self, frame: av.VideoFrame) -> np.ndarray:
        return self._reformatter.reformat(frame, format=self.output).to_ndarray()

    def _find(self, time_s: float, tolerance_s: float) -> av.VideoFrame:
        """The decoded frame at ``time_s``, decoding forward from the current position or after a seek."""
        last = self._last
        if last is not None and abs(last[0] - time_s) < tolerance_s:
            return last[1]
        if self._frames is None or last is None or not (last[0] < time_s <= last[0] + CONTINUE_WINDOW_S):
            self._seek(time_s)
        for attempt in range(3):
            nearest = None
            while (got := self._next()) is not None:
                t, frame = got
                if nearest is None or abs(t - time_s) < abs(nearest - time_s):
                    nearest = t
                if abs(t - time_s) < tolerance_s:
                    return frame
                if t > time_s:
                    break
            # The seek landed past the frame (some files index keyframes by decode time): go further back.
            if nearest is not None and nearest < time_s or attempt == 2:
                break
            self._seek(max(0.0, time_s - (1.0 if attempt == 0 else 1e9)))
        self._frames = None
        self._last = None
        raise FrameMissingError(self.path, time_s, nearest)

    def frames_at(self, times: Sequence[float], tolerance_s: float = DEFAULT_TOLERANCE_S) -> list[np.ndarray]:
        """The frames at ``times`` (seconds in the file), in the order asked."""
        order = sorted(range(len(times)), key=lambda i: times[i])
        out: list[np.ndarray | None] = [None] * len(times)
        for i in order:
            out[i] = self.frame_at(times[i], tolerance_s)
        return out  # type: ignore[return-value]

    def frame_at(self, time_s: float, tolerance_s: float = DEFAULT_TOLERANCE_S) -> np.ndarray:
        try:
            return self._convert(self._find(float(time_s), tolerance_s))
        except av.FFmpegError as exc:  # a damaged bitstream
            self._frames = None
            self._last = None
            raise DatasetError(f"{self.path}: cannot decode the frame at {time_s:.6f} s ({one_line(exc)})") from None


class DecoderCache:
    """Open decoders by (file, output format), least recently used closed first beyond ``max_open``."""

    def __init__(self, max_open: int = 32):
        self.max_open = max_open
        self._open: OrderedDict[tuple[Path, str], VideoDecoder] = OrderedDict()

    def get(self, path: str | os.PathLike, output: str = "rgb24") -> VideoDecoder:
        key = (Path(path), output)
        decoder = self._open.get(key)
        if decoder is None:
            decoder = VideoDecoder(key[0], output)
            self._open[key] = decoder
            while len(self._open) > self.max_open:
                self._open.popitem(last=False)[1].close()
        else:
            self._open.move_to_end(key)
        return decoder

    def close(self) -> None:
        for decoder in self._open.values():
            decoder.close()
        self._open.clear()
