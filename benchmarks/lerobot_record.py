"""The same recording work as ``record.py``, done with LeRobot's own writer, as a LeRobot user would.

Run with LeRobot's interpreter (LeRobot 0.6.1 needs Python >= 3.12)::

    /opt/lerobot-venv/bin/python benchmarks/lerobot_record.py --cameras 3 --seconds 20 --json out.json

N cameras run on their own threads, as LeRobot's cameras do with ``async_read``: each makes a synthetic frame
(the same pixels as lerec's synthetic camera, texture included) at its fps and keeps the newest. The control loop
is LeRobot's ``record_loop`` shape: read the newest frame of every camera and a state, ``add_frame``, then
``precise_sleep`` the rest of the period, until ``--seconds`` have passed; then ``save_episode``. The dataset is
created with ``LeRobotDataset.create(..., use_videos=True, streaming_encoding=True)`` and LeRobot's defaults for
everything else (``--no-streaming`` gives its PNG round trip instead).

Measured: loop fps, add_frame median/p99/max, how late each loop iteration ends against its period, save_episode
time, video frames against rows per camera and episode (frames lost), peak RSS. ``camera_seq`` lists, per episode
and camera, which camera frame each row holds, so the caller can check decoded frames against it. Deliberately
imports nothing from lerec: this runs in LeRobot's environment.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import logging
import math
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from realtime_watch import RealtimeWatch

BARCODE_BITS = 16
STATE_DIM = 6


# --- The synthetic frames: pixel for pixel lerec.cameras.synthetic.synthetic_rgb (record.py checks that) ---

@functools.lru_cache(maxsize=8)
def _grids(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    return np.linspace(0.0, 1.0, width, dtype=np.float32), np.linspace(0.0, 1.0, height, dtype=np.float32)


@functools.lru_cache(maxsize=4)
def _noise_bank(width: int, height: int, amplitude: int) -> np.ndarray:
    rng = np.random.default_rng(1234)
    return rng.integers(-amplitude, amplitude + 1, size=(8, height, width, 3)).astype(np.int8).view(np.uint8)


def _wave(phase: np.ndarray, amplitude: float, base: float) -> np.ndarray:
    return np.rint(base + amplitude * np.sin(2 * math.pi * phase)).astype(np.uint8)


def synthetic_rgb(n: int, width: int, height: int, noise: int = 0) -> np.ndarray:
    """Frame ``n``: moving colour waves, ``n`` as a 16-cell barcode in the top eighth, optional texture."""
    x, y = _grids(width, height)
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[..., 0] = _wave(2 * x + n / 45, 90, 128)[None, :]
    frame[..., 1] = _wave(2 * y - n / 60, 90, 128)[:, None]
    np.add(_wave(3 * x + n / 30, 45, 64)[None, :], _wave(3 * y + 0.25, 45, 64)[:, None], out=frame[..., 2])
    if noise:
        frame += _noise_bank(width, height, noise)[n % 8]
    band = max(1, height // 8)
    for bit in range(BARCODE_BITS):
        x0, x1 = bit * width // BARCODE_BITS, (bit + 1) * width // BARCODE_BITS
        frame[0:band, x0:x1] = 255 if (n >> bit) & 1 else 0
    return frame


class ThreadedSyntheticCamera:
    """A camera on its own thread that keeps its newest frame, like LeRobot's cameras behind ``async_read``."""

    def __init__(self, width: int, height: int, fps: float, noise: int):
        self.width, self.height, self.fps, self.noise = width, height, fps, noise
        self._latest: tuple[int, np.ndarray] | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ThreadedSyntheticCamera:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("synthetic camera produced no frame in 10 s")
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        start = time.perf_counter()
        n = 0
        while not self._stop.is_set():
            delay = start + n / self.fps - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            frame = synthetic_rgb(n, self.width, self.height, self.noise)
            with self._lock:
                self._latest = (n, frame)
            self._ready.set()
            n += 1

    def read_latest(self) -> tuple[int, np.ndarray]:
        with self._lock:
            return self._latest


def percentile_ms(values_s: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values_s) * 1000, q)) if values_s else 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def count_video_frames(path: Path, from_s: float, to_s: float) -> int:
    """Frames of the MP4 at ``path`` whose timestamp is in ``[from_s, to_s)`` (demuxed, not decoded)."""
    import av

    count = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            t = float(packet.pts * stream.time_base)
            if from_s - 1e-4 <= t < to_s - 1e-4:
                count += 1
    return count


def preset(value: str | None) -> int | str | None:
    return int(value) if value is not None and value.lstrip("-").isdigit() else value


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=3)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--episodes", type=int, default=1)
    parser.add_argument("--noise", type=int, default=8)
    parser.add_argument("--vcodec", default="libsvtav1")
    parser.add_argument("--preset", default=None, help="encoder preset (LeRobot's default: 12 for libsvtav1, else the codec's)")
    parser.add_argument("--encoder-queue-maxsize", type=int, default=30, help="LeRobot's default: 30")
    parser.add_argument("--encoder-threads", type=int, default=None)
    parser.add_argument("--no-streaming", action="store_true", help="LeRobot's default path: PNGs, encode at save")
    parser.add_argument("--root", type=Path, default=None, help="dataset folder (must not exist); default: a temp dir")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)

    t_import = time.perf_counter()
    from lerobot.configs.video import RGBEncoderConfig
    from lerobot.datasets.io_utils import load_episodes
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.utils.robot_utils import precise_sleep
    import lerobot

    import_s = time.perf_counter() - t_import
    rss_after_import = peak_rss_mb()
    logging.basicConfig(level=logging.WARNING)

    root = args.root or Path(tempfile.mkdtemp(prefix="lerobot-bench-")) / "dataset"
    keys = [f"observation.images.cam{i}" for i in range(args.cameras)]
    features = {
        key: {"dtype": "video", "shape": (args.height, args.width, 3), "names": ["height", "width", "channels"]}
        for key in keys
    }
    names = [f"joint{i}" for i in range(STATE_DIM)]
    features["observation.state"] = {"dtype": "float32", "shape": (STATE_DIM,), "names": names}
    features["action"] = {"dtype": "float32", "shape": (STATE_DIM,), "names": names}

    dataset = LeRobotDataset.create(
        "bench/lerobot_record", args.fps, features, root=root, use_videos=True,
        rgb_encoder=RGBEncoderConfig(vcodec=args.vcodec, preset=preset(args.preset)), streaming_encoding=not args.no_streaming,
        encoder_queue_maxsize=args.encoder_queue_maxsize, encoder_threads=args.encoder_threads,
    )
    period = 1 / args.fps
    cameras = [ThreadedSyntheticCamera(args.width, args.height, args.fps, args.noise) for _ in keys]
    episodes = []
    cpu0 = time.process_time()
    with contextlib.ExitStack() as stack:
        watch = stack.enter_context(RealtimeWatch())  # stops with the cameras, before finalize
        for camera in cameras:
            stack.enter_context(camera)
        for episode in range(args.episodes):
            add_frame_s: list[float] = []
            overrun_s: list[float] = []
            seqs: dict[str, list[int]] = {key: [] for key in keys}
            rows = 0
            start = time.perf_counter()
            while time.perf_counter() - start < args.seconds:
                loop_start = time.perf_counter()
                frame = {}
                for key, camera in zip(keys, cameras):
                    seq, image = camera.read_latest()
                    seqs[key].append(seq)
                    frame[key] = image
                state = np.full(STATE_DIM, rows, dtype=np.float32)
                frame["observation.state"] = state
                frame["action"] = state + 1
                frame["task"] = "bench"
                t = time.perf_counter()
                dataset.add_frame(frame)
                add_frame_s.append(time.perf_counter() - t)
                rows += 1
                dt = time.perf_counter() - loop_start
                overrun_s.append(max(0.0, dt - period))
                precise_sleep(max(period - dt, 0.0))
            duration = time.perf_counter() - start
            t = time.perf_counter()
            dataset.save_episode()
            save_s = time.perf_counter() - t
            episodes.append({
                "episode_index": episode, "rows": rows, "duration_s": duration, "loop_fps": rows / duration,
                "add_frame_ms_p50": percentile_ms(add_frame_s, 50), "add_frame_ms_p99": percentile_ms(add_frame_s, 99),
                "add_frame_ms_max": percentile_ms(add_frame_s, 100),
                "overrun_ms_p50": percentile_ms(overrun_s, 50), "overrun_ms_p99": percentile_ms(overrun_s, 99),
                "overrun_ms_max": percentile_ms(overrun_s, 100),
                "save_episode_s": save_s, "camera_seq": seqs,
            })
    t = time.perf_counter()
    dataset.finalize()
    finalize_s = time.perf_counter() - t
    cpu_s = time.process_time() - cpu0
    rss = peak_rss_mb()

    meta_episodes = load_episodes(root)
    for ep in episodes:
        row = meta_episodes[ep["episode_index"]]
        ep["video_frames"] = {}
        for key in keys:
            path = root / dataset.meta.video_path.format(
                video_key=key, chunk_index=row[f"videos/{key}/chunk_index"], file_index=row[f"videos/{key}/file_index"]
            )
            ep["video_frames"][key] = count_video_frames(
                path, row[f"videos/{key}/from_timestamp"], row[f"videos/{key}/to_timestamp"]
            )
        ep["frames_lost"] = sum(ep["rows"] - n for n in ep["video_frames"].values())

    import av

    result = {
        "lerobot_version": lerobot.__version__,
        "python": sys.version.split()[0],
        "pyav": av.__version__,
        "ffmpeg": str(getattr(av, "ffmpeg_version_info", "")),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "root": str(root),
        "import_s": import_s,
        "rss_after_import_mb": rss_after_import,
        "peak_rss_mb": rss,
        "cpu_s": cpu_s,
        "finalize_s": finalize_s,
        "realtime": watch.result,
        "episodes": episodes,
    }
    for ep in episodes:
        print(
            f"LeRobot episode {ep['episode_index']}: {ep['rows']} rows in {ep['duration_s']:.2f} s "
            f"({ep['loop_fps']:.1f} fps); add_frame p50/p99/max {ep['add_frame_ms_p50']:.1f}/"
            f"{ep['add_frame_ms_p99']:.1f}/{ep['add_frame_ms_max']:.1f} ms; save_episode {ep['save_episode_s']:.2f} s; "
            f"video frames {list(ep['video_frames'].values())} vs {ep['rows']} rows (lost {ep['frames_lost']})",
            file=sys.stderr,
        )
    print(f"LeRobot peak RSS {rss:.0f} MB ({rss_after_import:.0f} MB after imports); real-time threads: "
          f"{watch.describe()}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
