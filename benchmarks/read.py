"""Random-access read speed: one training item (3 cameras + the row) from lerec's reader, and from LeRobot's.

    python benchmarks/read.py ROOT --record            # record the dataset first (lerec, 3 x VGA, LeRobot's
                                                       # default encoder libsvtav1 g=2 crf=30), then measure
    /opt/lerobot-venv/bin/python benchmarks/read.py ROOT   # lerec and LeRobot 0.6.1 in the same run

Both sides read the same random global indices (seeded) after a warm-up; the figure is ms per item (median,
mean, p90). LeRobot's item also converts frames to float32 CHW tensors; lerec returns uint8 HWC numpy (the
conversion costs ~0.3 ms per VGA frame when a training loop needs it; ``--float`` adds it to lerec's figure).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402


def record(root: Path, episodes: int, seconds: float, width: int, height: int) -> None:
    import anyio

    from lerec import Recorder, RGBEncoderConfig, SyntheticCameraConfig

    cams = {name: SyntheticCameraConfig(width=width, height=height, fps=30, noise=6)
            for name in ("front", "wrist", "top")}

    async def go():
        async with Recorder.create(root, 30, cams, None, rgb_encoder=RGBEncoderConfig()) as rec:
            for _ in range(episodes):
                report = await rec.record_episode("benchmark", seconds)
                print(report.summary(), file=sys.stderr)

    anyio.run(go)


def timed(get, indices: list[int], warmup: int) -> dict[str, float]:
    for i in indices[:warmup]:
        get(i)
    times = []
    for i in indices[warmup:]:
        t0 = time.perf_counter()
        get(i)
        times.append((time.perf_counter() - t0) * 1000)
    t = np.asarray(times)
    return {"median_ms": round(float(np.median(t)), 2), "mean_ms": round(float(t.mean()), 2),
            "p90_ms": round(float(np.percentile(t, 90)), 2), "items": len(t)}


def lerec_side(root: Path, indices: list[int], warmup: int, to_float: bool, threads: int | None) -> dict[str, float]:
    from lerec.dataset.reading.reader import DatasetReader

    reader = DatasetReader(root, decode_threads=threads)
    keys = reader.video_keys

    def get(i):
        item = reader[i]
        if to_float:
            for k in keys:
                np.ascontiguousarray(item[k].transpose(2, 0, 1), dtype=np.float32) / 255.0
        return item

    try:
        return timed(get, indices, warmup)
    finally:
        reader.close()


def lerobot_side(root: Path, indices: list[int], warmup: int) -> dict[str, float] | None:
    try:
        from lerobot.datasets.lerobot_dataset import LeRobotDataset
    except ImportError:
        return None
    ds = LeRobotDataset("local/" + root.name, root=root)
    result = timed(lambda i: ds[i], indices, warmup)
    result["video_backend"] = getattr(ds, "_video_backend", None) or getattr(ds, "video_backend", "")
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root", type=Path)
    p.add_argument("--record", action="store_true", help="record the dataset at ROOT first (must not exist)")
    p.add_argument("--episodes", type=int, default=3)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--items", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--float", action="store_true", help="lerec side also converts frames to float32 CHW")
    p.add_argument("--decode-threads", type=int, default=None, help="lerec reader's decode_threads (default: auto)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.record:
        record(args.root, args.episodes, args.seconds, args.width, args.height)
    import pyarrow.parquet as pq

    total = sum(pq.read_metadata(f).num_rows for f in (args.root / "data").glob("chunk-*/file-*.parquet"))
    rng = random.Random(0)
    indices = [rng.randrange(total) for _ in range(args.items + args.warmup)]
    import av

    results = {"python": platform.python_version(), "pyav": av.__version__, "frames": total,
               "lerec": lerec_side(args.root, indices, args.warmup, args.float, args.decode_threads)}
    lerobot = lerobot_side(args.root, indices, args.warmup)
    if lerobot is not None:
        results["lerobot"] = lerobot
        results["lerobot_over_lerec"] = round(lerobot["median_ms"] / results["lerec"]["median_ms"], 2)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"random item, {len(indices) - args.warmup} items, PyAV {av.__version__}, {total} frames")
        for side in ("lerec", "lerobot"):
            if side in results:
                r = results[side]
                print(f"  {side:8s} median {r['median_ms']:6.2f} ms  mean {r['mean_ms']:6.2f} ms  "
                      f"p90 {r['p90_ms']:6.2f} ms  {r.get('video_backend', '')}")
        if "lerobot_over_lerec" in results:
            print(f"  LeRobot / lerec: {results['lerobot_over_lerec']}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
