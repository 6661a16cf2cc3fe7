"""A stream encoded into packets kept in memory, and packets written back out as a one-fragment MP4.

What a highlight buffer needs: the last seconds of a camera already encoded (a few MB, not raw frames), cut at a
keyframe and written as an episode's video exactly as :class:`~lerec.encoding.episode_encoder.EpisodeEncoder`
writes one (same muxer options, same codec parameters, frames at pts ``k / fps`` from 0).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from fractions import Fraction

import attrs
import av
import numpy as np

from lerec.encoding.codec_logs import quiet_codec_logs, quiet_options
from lerec.encoding.episode_encoder import FRAGMENTED_MP4
from lerec.encoding.realtime import calm_new_threads, keeping_caller_policy, thread_ids


@attrs.define(frozen=True)
class EncodedFrame:
    """One packet: its timestamps in frames, whether it starts a GOP, and its bytes."""

    pts: int
    dts: int
    keyframe: bool
    data: bytes


@attrs.define(frozen=True)
class StreamFormat:
    """What the codec is opened with: the same gives the same codec parameters (SPS/PPS, sequence header)."""

    codec: str
    options: tuple[tuple[str, str], ...]
    width: int
    height: int
    fps: int
    pix_fmt: str
    input_format: str


def _add_stream(container, fmt: StreamFormat):
    stream = container.add_stream(fmt.codec, rate=fmt.fps, options=quiet_options(fmt.codec, dict(fmt.options)))
    stream.width, stream.height, stream.pix_fmt = fmt.width, fmt.height, fmt.pix_fmt
    stream.time_base = Fraction(1, fmt.fps)
    stream.codec_context.time_base = Fraction(1, fmt.fps)
    return stream


class PacketEncoder:
    """Encodes frames into :class:`EncodedFrame` packets; ``keyframe=True`` forces a frame to start a GOP. Calls
    must come from one thread at a time."""

    def __init__(self, fmt: StreamFormat):
        self.format = fmt
        quiet_codec_logs()
        before = thread_ids()
        self._container = av.open(io.BytesIO(), "w", format="mp4")  # never written: it sets the global header
        with keeping_caller_policy():
            self._stream = _add_stream(self._container, fmt)
            self._stream.codec_context.open()
        calm_new_threads(before)
        self.extradata = bytes(self._stream.codec_context.extradata or b"")

    def encode(self, image: np.ndarray, pts: int, keyframe: bool = False) -> list[EncodedFrame]:
        frame = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(image), format=self.format.input_format)
        frame.pts = pts
        frame.time_base = Fraction(1, self.format.fps)
        if keyframe:
            frame.pict_type = av.video.frame.PictureType.I
        return [_packet(p) for p in self._stream.encode(frame)]

    def flush(self) -> list[EncodedFrame]:
        """The packets the encoder still held; the encoder is closed after."""
        packets = [_packet(p) for p in self._stream.encode(None)]
        self.close()
        return packets

    def close(self) -> None:
        try:
            self._container.close()
        except Exception:  # noqa: BLE001 - nothing was written: closing an empty buffer may complain
            pass


def _packet(packet: av.Packet) -> EncodedFrame:
    return EncodedFrame(int(packet.pts), int(packet.dts), bool(packet.is_keyframe), bytes(packet))


def write_fragment(path: str | os.PathLike, fmt: StreamFormat, extradata: bytes, packets: Iterable[EncodedFrame],
                   start: int) -> int:
    """Write ``packets`` (the first one a keyframe at pts ``start``) to ``path`` as a one-fragment MP4 whose frames
    start at pts 0; returns how many. ``extradata`` is what the packets were encoded with: a muxer opened with
    the same format must give the same, else ValueError (the file would not decode)."""
    container = av.open(str(path), "w", format="mp4", options=dict(FRAGMENTED_MP4))
    count = 0
    try:
        stream = _add_stream(container, fmt)
        for item in packets:
            packet = av.Packet(item.data)
            packet.pts, packet.dts = item.pts - start, item.dts - start
            packet.time_base = Fraction(1, fmt.fps)
            packet.is_keyframe = item.keyframe
            packet.stream = stream
            container.mux(packet)
            if count == 0 and bytes(stream.codec_context.extradata or b"") != extradata:
                raise ValueError(f"{fmt.codec} gave other codec parameters when reopened; the packets cannot be kept")
            count += 1
    finally:
        container.close()
    return count
