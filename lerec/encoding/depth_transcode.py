"""Re-encoding a depth video into another lossless codec, code for code, keeping its episode fragments.

Depth is recorded in real time with FFV1 (fast, lossless) and converted afterwards to lossless HEVC Main 12,
the only depth codec LeRobot 0.6.1's reader accepts. A dataset video is a fragmented MP4 with one
``moof + mdat`` per episode and frame k at k / fps; the output keeps both, so the episodes' ``from_timestamp`` /
``to_timestamp`` stay valid and later episodes can still be appended. Codes are what
``frame.to_ndarray(format="gray12le")`` returns, the convention of lerec's recorder and LeRobot's reader.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import attrs
import av
import numpy as np

from lerec.encoding.av_compat import mp4_takes
from lerec.encoding.config import DepthEncoderConfig
from lerec.encoding.ffmpeg_mapping import canonical_codec_name, encoder_name
from lerec.encoding.fmp4 import append_episode, fragment_sample_counts, read_episode_fragment
from lerec.encoding.video_encoding import VideoEncoding
from lerec.errors import DatasetError, EncoderConfigError

log = logging.getLogger(__name__)

CODE_FORMAT = "gray12le"
Progress = Callable[[int, int], None]


@attrs.define(frozen=True)
class TranscodeResult:
    """What a conversion did: frames per episode fragment, sizes and wall time."""

    src: Path
    dst: Path
    segments: tuple[int, ...]
    src_bytes: int
    dst_bytes: int
    seconds: float

    @property
    def frames(self) -> int:
        return sum(self.segments)


def is_lossless(config: DepthEncoderConfig) -> bool:
    """Whether ``config`` encodes 12-bit codes without loss (FFV1, or libx265 with ``lossless=1``)."""
    codec = encoder_name(config.vcodec)
    if codec == "ffv1":
        return True
    if codec == "libx265":
        params = str(config.extra_options.get("x265-params", "")).split(":")
        return any(p.strip() in ("lossless", "lossless=1") for p in params)
    return False


def realtime_depth_config(config: DepthEncoderConfig) -> DepthEncoderConfig:
    """The config to record ``config``'s depth stream with in real time: FFV1 over the same gray12le codes when
    ``config`` is lossless libx265 (too slow to keep up), with the same quantization; else ``config`` itself
    (also where FFmpeg cannot put FFV1 in MP4, av 15's FFmpeg 7.1: then depth is recorded as HEVC directly)."""
    if encoder_name(config.vcodec) != "libx265" or not is_lossless(config) or config.pix_fmt != CODE_FORMAT:
        return config
    if not mp4_takes("ffv1"):
        _warn_no_ffv1()
        return config
    return attrs.evolve(config, vcodec="ffv1", pix_fmt=CODE_FORMAT, g=1, crf=None, preset=None, fast_decode=0,
                        extra_options={})


@functools.cache
def _warn_no_ffv1() -> None:
    log.warning("av %s's FFmpeg cannot put FFV1 in MP4: depth is recorded as lossless HEVC directly, which may not "
                "keep up in real time (av >= 16 records FFV1 and converts after the session)", av.__version__)


def conversion_depth_config(config: DepthEncoderConfig) -> DepthEncoderConfig:
    """``config`` as the conversion uses it: libx265 without a preset gets ``ultrafast`` (lossless either way;
    3-4x faster than x265's default for about 3% more bytes)."""
    if encoder_name(config.vcodec) == "libx265" and config.preset is None:
        return attrs.evolve(config, preset="ultrafast")
    return config


def convert_depth_config(preset: str | None = None, g: int | None = None) -> DepthEncoderConfig:
    """What ``lerec convert-depth`` converts to: the default depth config with ``preset`` and ``g`` where given,
    as :func:`conversion_depth_config` uses it."""
    changes = {k: v for k, v in {"preset": preset, "g": g}.items() if v is not None}
    return conversion_depth_config(DepthEncoderConfig(**changes))


def target_codec_name(config: DepthEncoderConfig) -> str:
    """FFmpeg's canonical name of ``config``'s codec, as ``video.codec`` records it (libx265 -> hevc)."""
    return canonical_codec_name(config.vcodec)


def depth_video_segments(path: str | os.PathLike) -> list[int]:
    """Frames in each ``moof`` fragment of the MP4 at ``path`` (one per episode); one segment if unfragmented."""
    counts = fragment_sample_counts(path)
    if counts:
        return counts
    with av.open(str(path)) as container:
        return [sum(1 for _ in container.demux(container.streams.video[0]) if _.size)]


def iter_depth_codes(path: str | os.PathLike) -> Iterator[np.ndarray]:
    """The codes of frames 0, 1, 2, ... of the depth video at ``path``; raises DatasetError if frame k is not
    at exactly k / fps."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.base_rate
        if not rate:
            raise DatasetError(f"{path}: the video stream declares no frame rate")
        fps = Fraction(rate)
        for k, frame in enumerate(container.decode(stream)):
            position = frame.pts * stream.time_base * fps if frame.pts is not None else None
            if position != k:
                at = "no pts" if position is None else f"{float(frame.pts * stream.time_base):.6f} s"
                raise DatasetError(f"{path}: frame {k} is at {at}, expected {float(k / fps):.6f} s")
            yield frame.to_ndarray(format=CODE_FORMAT)


def verify_same_codes(src: str | os.PathLike, dst: str | os.PathLike) -> int:
    """Check that two depth videos hold the same codes at the same times, frame for frame, and the same episode
    fragments; returns the number of frames. Raises DatasetError naming the first difference."""
    src_segments, dst_segments = depth_video_segments(src), depth_video_segments(dst)
    if src_segments != dst_segments:
        raise DatasetError(f"{dst}: episode fragments hold {dst_segments} frames, {src} holds {src_segments}")
    frames = 0
    ours, theirs = iter_depth_codes(src), iter_depth_codes(dst)
    for a in ours:
        b = next(theirs, None)
        if b is None:
            raise DatasetError(f"{dst}: ends after {frames} frames, {src} has more")
        if a.shape != b.shape or not np.array_equal(a, b):
            raise DatasetError(f"{dst}: frame {frames} differs from {src} (the encoder was not lossless)")
        frames += 1
    if next(theirs, None) is not None:
        raise DatasetError(f"{dst}: has more than the {frames} frames of {src}")
    return frames


def transcode_depth_video(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    config: DepthEncoderConfig | None = None,
    *,
    progress: Progress | None = None,
    encoder_threads: int | None = None,
) -> TranscodeResult:
    """Re-encode the depth video ``src`` into ``dst`` with ``config`` (default: LeRobot's lossless HEVC Main 12),
    one fragment per source fragment, frame k at k / fps. ``dst`` appears only once its codes are verified
    equal to ``src``'s; ``progress(done, total)`` is called per encoded frame."""
    config = config or DepthEncoderConfig()
    if not is_lossless(config):
        raise EncoderConfigError(
            f"depth conversion needs a lossless encoder: vcodec={config.vcodec!r} with "
            f"extra_options={dict(config.extra_options)!r} is not (use ffv1, or hevc with x265-params lossless=1)"
        )
    src, dst = Path(src), Path(dst)
    started = time.monotonic()
    segments = depth_video_segments(src)
    total = sum(segments)
    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        rate = Fraction(stream.average_rate or stream.base_rate or 0)
    if rate.denominator != 1 or rate <= 0:
        raise DatasetError(f"{src}: frame rate {rate} is not a whole number of frames per second")
    fps = int(rate)
    partial = dst.with_name(f".{dst.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=".depth-transcode-", dir=dst.parent) as work:
            codes = iter_depth_codes(src)
            start = 0
            for index, count in enumerate(segments):
                segment = Path(work) / f"segment-{index:06d}.mp4"
                encoder = VideoEncoding(config).open_encoder(segment, width=width, height=height, fps=fps,
                                                             encoder_threads=encoder_threads, beside_loop=False)
                try:
                    for _ in range(count):
                        frame = next(codes, None)
                        if frame is None:
                            raise DatasetError(f"{src}: ends at frame {start + encoder.frames} of {total}")
                        encoder.encode(frame)
                        if progress:
                            progress(start + encoder.frames, total)
                    encoder.finish()
                except BaseException:
                    encoder.abort()
                    raise
                append_episode(partial, read_episode_fragment(segment), start, fps)
                segment.unlink()
                start += count
        verify_same_codes(src, partial)
        os.replace(partial, dst)
    finally:
        partial.unlink(missing_ok=True)
    return TranscodeResult(src, dst, tuple(segments), src.stat().st_size, dst.stat().st_size,
                           time.monotonic() - started)
