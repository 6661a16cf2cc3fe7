"""``lerec encoders``: the video encoders in the local FFmpeg, whether each works here, and (``--bench``) how fast."""

from __future__ import annotations

import argparse
import logging
import math
import time
from collections.abc import Iterator
from fractions import Fraction

import attrs
import av
import av.logging
import numpy as np

from lerec.encoding.codec_options import (
    encoder_pix_fmts,
    published_options,
    video_encoder,
)
from lerec.encoding.codec_logs import quiet_codec_logs
from lerec.encoding.config import RGBEncoderConfig
from lerec.encoding.hardware import is_hardware_encoder, trial_open
from lerec.encoding.realtime import calm_new_threads, keeping_caller_policy, thread_ids
from lerec.errors import EncoderConfigError, SettingsError

# Codecs worth recording a dataset with (MP4-muxable, decoded by LeRobot's readers); --all shows every encoder.
DATASET_CODECS = ("av1", "h264", "hevc", "vp9", "ffv1")
# Pixel formats that live in GPU memory: an encoder's CPU-side formats are the ones a recorder can feed.
HARDWARE_PIX_FMTS = {
    "cuda", "qsv", "vaapi", "videotoolbox", "amf", "vulkan", "d3d11", "d3d12", "drm_prime", "mediacodec",
}
BENCH_WIDTH, BENCH_HEIGHT = 640, 480
log = logging.getLogger(__name__)
# What a hardware encoder that does not open needs, by its name's suffix: the driver's own error (``lerec -v
# encoders`` logs it) says which library failed, rarely what is missing.
HARDWARE_NEEDS = {
    "_nvenc": "an NVIDIA GPU and its driver (libcuda)",
    "_amf": "an AMD GPU and the AMF runtime",
    "_qsv": "an Intel GPU and its media stack (oneVPL)",
    "_vaapi": "a VA-API render device (/dev/dri)",
    "_v4l2m2m": "a V4L2 memory-to-memory encoder device",
    "_vulkan": "a GPU with Vulkan video encoding",
    "_videotoolbox": "macOS VideoToolbox",
    "_mf": "Windows Media Foundation",
    "_mediacodec": "Android MediaCodec",
}


@attrs.define
class EncoderRow:
    """One line of the table: an encoder, its kind, formats, whether it opens here, and its measured speed."""

    name: str
    codec: str
    kind: str
    pix_fmts: tuple[str, ...]
    usable: bool
    why: str
    settings: str = ""
    fps: float | None = None
    kib_per_frame: float | None = None


def video_encoder_names(include_all: bool = False) -> list[str]:
    """Names of the local FFmpeg's video encoders, each once; by default only those for dataset codecs."""
    names = set()
    for name in av.codecs_available:
        codec = video_encoder(name)
        if codec is not None and (include_all or codec.canonical_name in DATASET_CODECS):
            names.add(codec.name)
    return sorted(names, key=lambda n: (video_encoder(n).canonical_name, is_hardware_encoder(n), n))


def cpu_pix_fmt(encoder: str) -> str:
    """The pixel format to try an encoder with: yuv420p when it takes it, else its first CPU-side format."""
    formats = [f for f in encoder_pix_fmts(encoder) if f not in HARDWARE_PIX_FMTS]
    return "yuv420p" if not formats or "yuv420p" in formats else formats[0]


def probe_encoder(name: str) -> EncoderRow:
    """Describe ``name`` and trial-open it with its own defaults on a VGA frame."""
    pix_fmt = cpu_pix_fmt(name)
    failure = trial_open(name, pix_fmt, BENCH_WIDTH, BENCH_HEIGHT, {})
    why = unusable_reason(name, failure) if failure else f"opens on a {BENCH_WIDTH}x{BENCH_HEIGHT} {pix_fmt} frame"
    return EncoderRow(
        name=name,
        codec=video_encoder(name).canonical_name,
        kind="hardware" if is_hardware_encoder(name) else "software",
        pix_fmts=encoder_pix_fmts(name),
        usable=failure is None,
        why=why,
    )


def unusable_reason(name: str, failure: str) -> str:
    """Why ``name`` does not open here, in words: what a hardware encoder needs, else the error's first clause."""
    log.debug("%s: %s", name, failure)
    need = next((text for suffix, text in HARDWARE_NEEDS.items() if name.endswith(suffix)), None)
    if need is not None:
        return f"needs {need}: not usable here"
    first = failure.split(";")[0].strip()
    kind, _, text = first.partition(": ")
    if text and kind.isidentifier():  # "ValueError: ..." -> "..."
        first = text
    return first if len(first) <= 70 else first[:69] + "…"


def bench_config(name: str) -> RGBEncoderConfig | None:
    """The config lerec uses with ``vcodec=name`` and default fields, or None when the defaults do not apply."""
    options = published_options(name)
    try:
        return RGBEncoderConfig(vcodec=name, pix_fmt=cpu_pix_fmt(name), crf=30 if "crf" in options else None)
    except EncoderConfigError:
        return None


def synthetic_frames(count: int = 16, width: int = BENCH_WIDTH, height: int = BENCH_HEIGHT) -> list[np.ndarray]:
    """RGB frames with texture, motion and sensor-like noise, so encoders do real work."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width]
    texture = ((np.sin(x / 7.0) + np.cos(y / 11.0)) * 60 + 128).astype(np.int16)
    frames = []
    for i in range(count):
        moving = np.roll(texture, 6 * i, axis=1)
        rgb = np.stack([moving, np.roll(moving, 40, axis=0), 255 - moving], axis=-1)
        rgb = rgb + rng.integers(-12, 13, size=rgb.shape, dtype=np.int16)
        frames.append(np.clip(rgb, 0, 255).astype(np.uint8))
    return frames


def bench_encoder(config: RGBEncoderConfig, seconds: float, frames: list[np.ndarray]) -> tuple[float, float]:
    """Encode rgb24 frames with ``config`` for about ``seconds``; return (frames/s, KiB/frame), flush included."""
    height, width = frames[0].shape[:2]
    quiet_codec_logs()
    context = av.codec.context.CodecContext.create(config.encoder, "w")
    context.width, context.height, context.pix_fmt = width, height, config.pix_fmt
    context.time_base = Fraction(1, 30)
    context.options = config.ffmpeg_options()
    threads_before = thread_ids()
    with keeping_caller_policy():  # as when recording: SVT-AV1 started by root makes its threads SCHED_FIFO
        context.open()
    calm_new_threads(threads_before)
    encoded_bytes = 0
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        frame = av.VideoFrame.from_ndarray(frames[count % len(frames)], format="rgb24").reformat(format=config.pix_fmt)
        frame.pts = count
        encoded_bytes += sum(packet.size for packet in context.encode(frame))
        if count == 0:  # some encoders start their threads with the first frame
            calm_new_threads(threads_before)
        count += 1
    encoded_bytes += sum(packet.size for packet in context.encode(None))
    elapsed = time.perf_counter() - start
    return count / elapsed, encoded_bytes / count / 1024


def encoder_rows(include_all: bool, bench_seconds: float | None) -> Iterator[EncoderRow]:
    frames = synthetic_frames() if bench_seconds else []
    for name in video_encoder_names(include_all):
        row = probe_encoder(name)
        if bench_seconds and row.usable:
            config = bench_config(name)
            if config is not None:
                row.settings = " ".join(f"{k}={v}" for k, v in config.ffmpeg_options().items())
                row.fps, row.kib_per_frame = bench_encoder(config, bench_seconds, frames)
        yield row


def format_table(rows: list[EncoderRow], bench: bool) -> str:
    header = ["encoder", "codec", "kind", "usable", "pixel formats", "why"]
    if bench:
        header[4:4] = ["VGA fps", "KiB/frame", "settings"]
    lines = []
    for row in rows:
        formats = ", ".join(row.pix_fmts[:4]) + (f" +{len(row.pix_fmts) - 4}" if len(row.pix_fmts) > 4 else "")
        cells = [row.name, row.codec, row.kind, "yes" if row.usable else "no", formats or "-", row.why]
        if bench:
            fps = f"{row.fps:.0f}" if row.fps is not None else "-"
            kib = f"{row.kib_per_frame:.1f}" if row.kib_per_frame is not None else "-"
            cells[4:4] = [fps, kib, row.settings or "-"]
        lines.append(cells)
    widths = [max(len(str(c)) for c in column) for column in zip(header, *lines)]
    widths[-1] = 0  # the reason is last and left ragged
    render = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([render(header), render(["-" * w for w in widths[:-1]] + ["---"])] + [render(c) for c in lines])


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "encoders",
        help="list the video encoders in the local FFmpeg and whether they work here",
        description="The video encoders of PyAV's FFmpeg: software or hardware, pixel formats, and whether each "
        "opens on this machine (a trial open on a VGA frame), with the reason when it does not.",
    )
    parser.add_argument("--all", action="store_true", help=f"every video encoder, not only {', '.join(DATASET_CODECS)}")
    parser.add_argument("--bench", action="store_true", help="measure VGA frames/s of each usable encoder")
    parser.add_argument("--seconds", type=float, default=1.5, help="seconds of encoding per encoder with --bench")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.bench and not (math.isfinite(args.seconds) and args.seconds > 0):
        raise SettingsError(f"--seconds {args.seconds:g}: the time to encode per encoder must be a number > 0, e.g. 1.5")
    rows = list(encoder_rows(args.all, args.seconds if args.bench else None))
    print(format_table(rows, args.bench))
    return 0
