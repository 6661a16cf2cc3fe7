"""Depth path speed: quantization, encoding, decoding and bytes per frame, lerec's path against LeRobot's
defaults, measured in one run on the same frames. Prints a Markdown table.

Frames: 640x480 synthetic depth (smooth moving surfaces, a no-data corner) quantized with the default log
settings, plus +-3 codes of sensor-like noise. Real time: each depth encoder runs paced at 30 fps beside a paced
30 fps 640x480 RGB libsvtav1 encoder (LeRobot's RGB default), as while recording one RGB and one depth stream,
with SVT-AV1's real-time threads demoted as lerec's recorder does.
LeRobot's own quantize/dequantize functions are timed in its venv (``--lerobot-python``) when it exists.

    python benchmarks/depth.py [--frames 90] [--record 10] [--lerobot-python /opt/lerobot-venv/bin/python]

``--record S`` also records S seconds of one synthetic camera (RGB 640x480@30 with libsvtav1 + depth
640x480@30) with lerec's recorder and its defaults: depth captured with FFV1, converted to HEVC at session end.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from lerec.cameras.synthetic import synthetic_depth, synthetic_rgb
from lerec.encoding.config import DepthEncoderConfig
from lerec.encoding.depth import dequantize_depth, quantize_depth
from lerec.encoding.realtime import calm_new_threads, thread_ids

W, H, FPS = 640, 480, 30
CONFIG = DepthEncoderConfig()

# (label, encoder, options) for the depth codes, gray12le.
ENCODERS = [
    ("LeRobot default: libx265 lossless, preset medium, g 2", "libx265", {"g": "2", "x265-params": "lossless=1"}),
    ("libx265 lossless ultrafast, g 2 (convert-depth default)", "libx265",
     {"g": "2", "preset": "ultrafast", "x265-params": "lossless=1"}),
    ("libx265 lossless ultrafast, fastest tuning found", "libx265",
     {"g": "2", "preset": "ultrafast",
      "x265-params": "lossless=1:bframes=0:rc-lookahead=0:ctu=64:min-cu-size=32:max-tu-size=32:frame-threads=2"}),
    ("lerec recording: ffv1 gray12le, g 1", "ffv1", {"g": "1"}),
    ("ffv1 gray12le, level 3, 4 slices, 2 threads", "ffv1", {"g": "1", "level": "3", "slices": "4", "threads": "2"}),
]
RGB = ("libsvtav1", {"g": "2", "crf": "30", "preset": "12", "svtav1-params": "fast-decode=0"})

LEROBOT_SCRIPT = """
import sys, json, time, numpy as np
from lerobot.datasets.depth_utils import quantize_depth, dequantize_depth
mm = np.load(sys.argv[1])
def per_frame(fn, n=20):
    fn(); t = time.perf_counter()
    for _ in range(n): fn()
    return (time.perf_counter() - t) / n * 1e3
codes = quantize_depth(mm, video_backend=None)
print(json.dumps({
    "quantize_mm": per_frame(lambda: quantize_depth(mm, video_backend=None)),
    "quantize_m": per_frame(lambda: quantize_depth(mm.astype(np.float32) / 1000, video_backend=None)),
    "dequantize_mm": per_frame(lambda: dequantize_depth(codes, output_unit="mm", output_tensor=False)),
    "codes": codes.astype(int).ravel()[::97].tolist(),
}))
"""


def depth_frames(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    frames = []
    for k in range(n):
        codes = quantize_depth(synthetic_depth(k, W, H), CONFIG).astype(np.int32)
        noisy = np.clip(codes + rng.integers(-3, 4, codes.shape), 1, 4095)
        frames.append(np.where(codes > 0, noisy, 0).astype(np.uint16))
    return frames


def per_frame_ms(fn, repeat: int = 50) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1e3


def open_encoder(codec: str, options: dict, pix_fmt: str, buffer: io.BytesIO):
    container = av.open(buffer, "w", format="mp4")
    stream = container.add_stream(codec, rate=FPS, options=dict(options))
    stream.width, stream.height, stream.pix_fmt = W, H, pix_fmt
    stream.codec_context.time_base = Fraction(1, FPS)
    return container, stream


def encode_all(codec: str, options: dict, frames, fmt: str, pix_fmt: str, paced: bool = False):
    """Encode ``frames``; returns (wall seconds, bytes, worst lag behind the 30 fps schedule in seconds)."""
    buffer = io.BytesIO()
    threads_before = thread_ids()
    container, stream = open_encoder(codec, options, pix_fmt, buffer)
    start = time.perf_counter()
    worst_lag = 0.0
    for k, image in enumerate(frames):
        due = start + k / FPS
        if paced and (delay := due - time.perf_counter()) > 0:
            time.sleep(delay)
        frame = av.VideoFrame.from_ndarray(image, format=fmt)
        frame.pts = k
        container.mux(stream.encode(frame))
        if k == 0:
            calm_new_threads(threads_before)  # as the recorder does: SVT-AV1 started by root runs SCHED_FIFO
        worst_lag = max(worst_lag, time.perf_counter() - due - 1 / FPS)
    container.mux(stream.encode(None))
    seconds = time.perf_counter() - start
    container.close()
    return seconds, buffer.getvalue(), worst_lag


def decode_fps(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        start = time.perf_counter()
        count = sum(1 for f in container.decode(stream) if f.to_ndarray(format="gray12le") is not None)
    return count / (time.perf_counter() - start)


def realtime_with_rgb(codec: str, options: dict, frames, rgb_frames) -> tuple[float, float]:
    """Depth and RGB encoders paced at 30 fps side by side; the depth encoder's achieved fps and worst lag."""
    rgb = threading.Thread(target=lambda: encode_all(*RGB, rgb_frames, "rgb24", "yuv420p", paced=True))
    rgb.start()
    seconds, _, lag = encode_all(codec, options, frames, "gray12le", "gray12le", paced=True)
    rgb.join()
    return len(frames) / seconds, lag


def lerobot_figures(python: Path, mm: np.ndarray) -> dict | None:
    if not python.exists():
        return None
    path = Path("/tmp/lerec-depth-bench.npy")
    np.save(path, mm)
    run = subprocess.run([str(python), "-c", LEROBOT_SCRIPT, str(path)], capture_output=True, text=True, check=False,
                         env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    path.unlink(missing_ok=True)
    if run.returncode != 0:
        print(f"LeRobot figures skipped: {run.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(run.stdout.strip().splitlines()[-1])


def record_session(seconds: float) -> None:
    """Record one episode with lerec's recorder and default settings (depth captured with FFV1, converted to
    lossless HEVC when the session ends); print frames, repeats, spills, save and conversion time."""
    import anyio

    from lerec import Recorder, SyntheticCameraConfig
    from lerec.dataset.writing.depth_conversion import pending_depth_videos

    root = Path(tempfile.mkdtemp(prefix="lerec-depth-bench-")) / "ds"

    async def go():
        camera = SyntheticCameraConfig(width=W, height=H, fps=FPS, depth=True, noise=8)
        async with Recorder.create(root, FPS, {"front": camera}) as rec:
            await rec.record_episode("warm-up", 1.0)  # first-use costs (encoder start, caches) stay out
            report = await rec.record_episode("bench", seconds)
            started = time.perf_counter()
        return report, time.perf_counter() - started

    report, converted_s = anyio.run(go)
    streams = ", ".join(f"{k.rsplit('.', 1)[-1]}: {s.frames} frames, {s.repeated} repeated, {s.spilled} spilled, "
                        f"queue max {s.max_queue_depth}" for k, s in report.streams.items())
    print(f"| {report.length} | {report.achieved_fps:.1f} | {report.tick_lateness_ms_p99:.1f} | "
          f"{report.save_after_last_tick_s:.1f} | {converted_s:.1f} | {streams} |", flush=True)
    size = sum(p.stat().st_size for p in root.glob("videos/*_depth/*/*.mp4")) / 2**20
    print(f"\ndepth videos left to convert: {len(pending_depth_videos(root))}; HEVC depth {size:.1f} MiB")
    shutil.rmtree(root.parent, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=90, help="frames per encoder measurement")
    parser.add_argument("--record", type=float, default=0, help="also record this many seconds with lerec")
    parser.add_argument("--skip-encoders", action="store_true", help="skip the encoder table")
    parser.add_argument("--lerobot-python", type=Path, default=Path("/opt/lerobot-venv/bin/python"))
    args = parser.parse_args()

    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores; other processes skew every figure)\n")
    mm = synthetic_depth(7, W, H)
    metres = synthetic_depth(7, W, H, "m")
    codes = quantize_depth(mm, CONFIG)
    print("## Quantization, ms per 640x480 frame\n")
    print("| step | lerec | LeRobot 0.6.1 |\n|---|---|---|")
    theirs = lerobot_figures(args.lerobot_python, mm)
    rows = [
        ("quantize uint16 mm", per_frame_ms(lambda: quantize_depth(mm, CONFIG)), "quantize_mm"),
        ("quantize float32 m", per_frame_ms(lambda: quantize_depth(metres, CONFIG), 10), "quantize_m"),
        ("dequantize to uint16 mm", per_frame_ms(lambda: dequantize_depth(codes, CONFIG)), "dequantize_mm"),
    ]
    for label, ours, key in rows:
        print(f"| {label} | {ours:.2f} | {theirs[key]:.2f} |" if theirs else f"| {label} | {ours:.2f} | n/a |")
    if theirs:
        same = np.asarray(theirs["codes"]) == codes.astype(int).ravel()[::97]
        differ = ~same & (codes.ravel()[::97] != 0)
        print(f"\nCodes vs LeRobot's quantizer: {same.mean():.2%} equal; differing outside no-data pixels: "
              f"{int(differ.sum())} (no-data pixels are 0 in both)")

    if args.record:
        print(f"\n## lerec recorder, defaults, {args.record:g} s of RGB (libsvtav1) + depth 640x480@30\n")
        print("| ticks | loop fps | tick lateness p99 ms | save s | depth conversion at session end s | streams |")
        print("|---|---|---|---|---|---|")
        record_session(args.record)
    if args.skip_encoders:
        return
    frames = depth_frames(args.frames)
    rgb_frames = [synthetic_rgb(k, W, H, noise=8) for k in range(args.frames)]
    print(f"\n## Depth encoders, 640x480 gray12le, {args.frames} frames (2 cores)\n")
    print("| encoder | encode fps alone | KiB/frame | decode fps | depth fps beside 30 fps RGB | worst lag |")
    print("|---|---|---|---|---|---|")
    for label, codec, options in ENCODERS:
        seconds, data, _ = encode_all(codec, options, frames, "gray12le", "gray12le")
        decoded = decode_fps(data)
        fps_rt, lag = realtime_with_rgb(codec, options, frames, rgb_frames)
        keeps_up = "keeps up" if lag < 0.2 else "falls behind"
        print(f"| {label} | {len(frames) / seconds:.1f} | {len(data) / len(frames) / 1024:.0f} | {decoded:.0f} "
              f"| {fps_rt:.1f} ({keeps_up}) | {lag:.2f} s |", flush=True)
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
