"""A slow chunking policy on the clock: the scripted policy taking LATENCY per chunk of CHUNK actions at FPS, with
N synthetic VGA cameras recorded by the same Recorder as `lerec record`, once with async inference and once with
sync. Prints tick lateness p50/p99/max, held ticks and chunk latency for each.

    python benchmarks/rollout.py                          # 100 ms per 30-action chunk, 30 fps, 3 x 640x480, 10 s
    python benchmarks/rollout.py --seconds 5 --vcodec h264 --preset ultrafast
    python benchmarks/rollout.py --highlight 30 --seconds 40   # highlight: peak RSS with a 30 s ring buffer
"""

from __future__ import annotations

import argparse
import json
import resource
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


async def highlight(args, root: Path) -> dict:
    """The highlight strategy for ``seconds``: the key pressed 5 s before the end, again 2 s before it."""
    cameras = {f"cam{i}": SyntheticCameraConfig(width=args.width, height=args.height, fps=args.fps)
               for i in range(args.cameras)}
    policy = ScriptedPolicyConfig(chunk_size=args.chunk, latency_s=args.latency_ms / 1000)
    settings = RolloutSettings("highlight", "async", duration_s=args.seconds, ring_buffer_seconds=args.highlight)
    rgb = RGBEncoderConfig(vcodec=args.vcodec, **({"preset": args.preset} if args.preset else {}))
    async with Rollout.create(SyntheticRobotConfig(), policy, cameras, settings, root=root, fps=args.fps,
                              rgb_encoder=rgb) as rollout:
        async def keys():
            for at in (args.seconds - 5, args.seconds - 2):
                while rollout.highlights.tick < at * args.fps:
                    await anyio.sleep(0.01)
                rollout.mark_highlight()
        async with anyio.create_task_group() as tg:
            tg.start_soon(keys)
            saved = await rollout.episodes()
        held_mb = rollout.highlights.peak_bytes / 1e6
        pending = max(r.max_pending for r in rollout.highlights.rings.values())
    length = rollout.recorder.writer.meta.episodes[0]["length"] if saved else 0
    return {"mode": "highlight", "ring_s": args.highlight, "saved_frames": length,
            "peak_encoded_mb": round(held_mb, 1), "max_raw_frames_waiting": pending,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


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
    p.add_argument("--highlight", type=float, default=0, help="run the highlight strategy with this ring (s)")
    args = p.parse_args()
    if args.highlight:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(anyio.run(highlight, args, Path(tmp) / "highlight")))
        return
    with tempfile.TemporaryDirectory() as tmp:
        results = [anyio.run(one, mode, args, Path(tmp) / mode) for mode in args.modes.split(",")]
    for r in results:
        print(json.dumps(r))
    print(json.dumps({"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
