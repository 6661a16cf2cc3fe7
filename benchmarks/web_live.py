"""What `lerec record --web` costs the recording: control-loop tick lateness p99 with the live page open against
without it, measured in one run, episodes alternating (without, with, without, ...) so that a machine whose load
drifts weighs on both alike.

    python benchmarks/web_live.py                       # 3 × 640×480@30, 6 episodes of 15 s, h264 ultrafast
    python benchmarks/web_live.py --episodes 10 --seconds 20 --json out.json

"With" runs the web app exactly as `lerec record --web` wires it (lerec.cli.record_web: the recorder's status and
newest frames, uvicorn on its own thread) and a client in another process (as a browser is) that asks what the
live page asks: every stream's frame as it arrives (250 ms after the last) and the status every 500 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio

from lerec import RGBEncoderConfig, Recorder, SyntheticCameraConfig
from lerec.cli.record_web import LiveWeb

CLIENT = r"""
import http.client, json, sys, threading, time
port, keys, seconds = int(sys.argv[1]), sys.argv[2].split(","), float(sys.argv[3])
end = time.monotonic() + seconds
counts = {}
def poll(path, period):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < end:
        conn.request("GET", path)
        res = conn.getresponse(); res.read()
        counts[path] = counts.get(path, 0) + (res.status == 200)
        time.sleep(period)
threads = [threading.Thread(target=poll, args=(f"/api/live/frames/{k}", 0.25)) for k in keys]
threads.append(threading.Thread(target=poll, args=("/api/live/status", 0.5)))
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(counts))
"""


async def episode(rec: Recorder, seconds: float, web: bool) -> tuple[float, dict]:
    """Record one episode (with the live page open when ``web``): its tick lateness p99 (ms), the client's counts."""
    if not web:
        report = await rec.record_episode("bench", seconds)
        return report.tick_lateness_ms_p99, {}
    live = LiveWeb(rec, rec.num_episodes, "127.0.0.1:0")
    port = live.server.socket.getsockname()[1]
    result: dict = {}
    async with anyio.create_task_group() as tg:
        tg.start_soon(live.serve)
        while not live.server.server.started:
            await anyio.sleep(0.02)
        done = anyio.Event()

        async def client() -> None:
            out = await anyio.run_process([sys.executable, "-c", CLIENT, str(port), ",".join(rec.sources),
                                           str(seconds)], check=True)
            result.update(json.loads(out.stdout))
            done.set()

        tg.start_soon(client)
        report = await rec.record_episode("bench", seconds)
        await done.wait()
        tg.cancel_scope.cancel()
    return report.tick_lateness_ms_p99, result


async def run(args) -> dict:
    cameras = {f"cam{i}": SyntheticCameraConfig(width=args.width, height=args.height, fps=args.fps)
               for i in range(args.cameras)}
    rgb = RGBEncoderConfig(vcodec="h264", preset="ultrafast")
    out: dict = {"without_ms": [], "with_ms": [], "client_requests": []}
    with tempfile.TemporaryDirectory() as tmp:
        async with Recorder.create(Path(tmp) / "ds", args.fps, cameras, rgb_encoder=rgb) as rec:
            await rec.record_episode("warm-up", 3)
            for k in range(args.episodes):
                web = k % 2 == 1
                p99, counts = await episode(rec, args.seconds, web)
                out["with_ms" if web else "without_ms"].append(p99)
                if web:
                    out["client_requests"].append(sum(counts.values()))
                print(f"episode {k}: {'with' if web else 'without'} --web: tick lateness p99 {p99:.2f} ms"
                      + (f", {sum(counts.values())} requests answered" if web else ""), flush=True)
    out["median_without_ms"] = statistics.median(out["without_ms"])
    out["median_with_ms"] = statistics.median(out["with_ms"])
    out["difference_ms"] = out["median_with_ms"] - out["median_without_ms"]
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cameras", type=int, default=3)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--seconds", type=float, default=15.0, help="per episode")
    p.add_argument("--episodes", type=int, default=6, help="alternating without/with (even: as many of each)")
    p.add_argument("--json", help="write the figures here")
    args = p.parse_args()
    out = anyio.run(run, args)
    print(f"tick lateness p99, median of {len(out['without_ms'])} episodes each: without --web "
          f"{out['median_without_ms']:.2f} ms, with {out['median_with_ms']:.2f} ms "
          f"(difference {out['difference_ms']:+.2f} ms; the issue asks within 0.5 ms)")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
