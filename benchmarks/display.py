"""Live display benchmark: the control loop's tick lateness p99 with ``--display_data`` on and off, in one run.

    python benchmarks/display.py                          # 3 × 640×480@30, 3 rounds of 10 s each side, h264 ultrafast
    python benchmarks/display.py --rounds 5 --seconds 20 --vcodec libsvtav1

Rounds alternate off / on so that the load of a shared machine falls on both sides alike. The display is the one
``lerec record --display_data=true`` runs (its thread and its process, at ``--display-fps``), written to a rerun
file in a temporary folder (no viewer needed); the frames the thread sent, the periods it dropped and its CPU
time in the recording process are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import anyio
import numpy as np

from lerec import RGBEncoderConfig, Recorder, SyntheticCameraConfig
from lerec.cli.live_display import DisplaySettings, LiveDisplay

STATE = {"observation.state": {"dtype": "float32", "shape": [6]}, "action": {"dtype": "float32", "shape": [6]}}


async def one_round(args, root: Path, rrd: Path | None) -> tuple[float, int, int, float]:
    """(tick lateness p99 in ms, display frames sent, display periods dropped, the display thread's CPU seconds
    in the recording process) of one episode."""
    cameras = {f"cam{i}": SyntheticCameraConfig(width=args.width, height=args.height, fps=args.fps, noise=8)
               for i in range(args.cameras)}
    state = np.zeros(6, dtype=np.float32)
    async with Recorder.create(root, args.fps, cameras, STATE,
                               rgb_encoder=RGBEncoderConfig(vcodec=args.vcodec, preset=args.preset)) as rec:
        async with anyio.create_task_group() as tg:
            display = None
            if rrd is not None:
                display = LiveDisplay(DisplaySettings(args.display_fps, args.max_width, "1GiB", save=str(rrd)), rec)
                await tg.start(display.run)
            report = await rec.record_episode("bench", args.seconds,
                                              step=lambda: {"observation.state": state, "action": state})
            tg.cancel_scope.cancel()
    if display is None:
        return report.tick_lateness_ms_p99, 0, 0, 0.0
    return report.tick_lateness_ms_p99, display.sent, display.dropped, display.thread_cpu_s


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cameras", type=int, default=3)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--vcodec", default="h264")
    p.add_argument("--preset", default="ultrafast")
    p.add_argument("--display-fps", type=float, default=10.0)
    p.add_argument("--max-width", type=int, default=640)
    args = p.parse_args(argv)
    results: dict[str, list[float]] = {"off": [], "on": []}
    with tempfile.TemporaryDirectory(prefix="lerec-display-bench-") as tmp:
        for r in range(args.rounds):
            for side in ("off", "on"):
                root = Path(tmp) / f"{side}{r}"
                p99, sent, dropped, cpu = anyio.run(one_round, args, root, Path(tmp) / f"{side}{r}.rrd"
                                               if side == "on" else None)
                results[side].append(p99)
                extra = (f", display frames sent {sent}, periods dropped {dropped}, display thread CPU "
                         f"{cpu * 1000 / max(sent, 1):.2f} ms per frame sent" if side == "on" else "")
                print(f"round {r} display {side}: tick lateness p99 {p99:.2f} ms{extra}", flush=True)
    off, on = statistics.median(results["off"]), statistics.median(results["on"])
    print(f"median tick lateness p99: off {off:.2f} ms, on {on:.2f} ms, difference {on - off:+.2f} ms "
          f"({args.cameras} × {args.width}×{args.height}@{args.fps}, display {args.display_fps:g} fps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
