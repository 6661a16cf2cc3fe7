"""A slow chunking policy on the clock: the scripted policy taking LATENCY per chunk of CHUNK actions at FPS, with
N synthetic VGA cameras recorded by the same Recorder as `lerec record`, once with async inference and once with
sync. Prints tick lateness p50/p99/max, held ticks and chunk latency for each.

    python benchmarks/rollout.py                          # 100 ms per 30-action chunk, 30 fps, 3 x 640x480, 10 s
    python benchmarks/rollout.py --seconds 5 --vcodec h264 --preset ultrafast
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import anyio

from lerec.cameras.synthetic import SyntheticCameraConfig
from lerec.encoding.config import RGBEncoderConfig
from lerec.policies import ScriptedPolicyConfig
from lerec.recording.rollout import Rollout, RolloutSettings
from lerec.robots import SyntheticRobotConfig


async def one(mode: str, args, root: Path) -> dict:
    cameras = {f"cam{i}": SyntheticCameraConfig(width=args.width, height=args.height, fps=args.fps)
               for i in range(args.cameras)}
    policy = ScriptedPolicyConfig(chunk_size=args.chunk, latency_s=args.latency_ms / 1000)
    settings = RolloutSettings("episodic", mode, episode_time_s=args.seconds, task="benchmark")
    rgb = RGBEncoderConfig(vcodec=args.vcodec, **({"preset": args.preset} if args.preset else {}))
    async with Rollout.create(SyntheticRobotConfig(), policy, cameras, settings, root=root, fps=args.fps,
                              rgb_encoder=rgb) as rollout:
        episode = (await rollout.episodes())[0]
    rec, inf = episode.recorded, episode.inference
    return {"mode": mode, "frames": rec.length, "tick_p50_ms": round(rec.tick_lateness_ms_p50, 2),
            "tick_p99_ms": round(rec.tick_lateness_ms_p99, 2), "tick_max_ms": round(rec.tick_lateness_ms_max, 2),
            "held_ticks": inf.held, "predictions": inf.predictions, "chunk_p50_ms": round(inf.latency_ms_p50, 1),
            "chunk_p99_ms": round(inf.latency_ms_p99, 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cameras", type=int, default=3)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--chunk", type=int, default=30)
    p.add_argument("--latency-ms", type=float, default=100.0)
    p.add_argument("--vcodec", default="h264")
    p.add_argument("--preset", default="ultrafast")
    p.add_argument("--modes", default="async,sync")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = [anyio.run(one, mode, args, Path(tmp) / mode) for mode in args.modes.split(",")]
    for r in results:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
