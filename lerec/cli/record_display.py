"""The live view of ``lerec record``: per camera stream fps, queue depth, spilled frames, encode lag."""

from __future__ import annotations

import sys
import time

import anyio

from lerec.recording import Recorder


async def show_status(rec: Recorder, interval_s: float = 0.5, stream=None) -> None:
    """Redraw a status block every ``interval_s`` on a terminal; on a pipe, print a line every 5 s."""
    stream = stream or sys.stderr
    tty = stream.isatty()
    last = {}
    last_t = time.monotonic()
    drawn = 0
    interval = interval_s if tty else 5.0
    while True:
        await anyio.sleep(interval)
        s = rec.status
        now = time.monotonic()
        lines = [f"episode {s.episode_index} {s.phase}: tick {s.tick}/{s.length}, {s.time_left_s:5.1f} s left"]
        for key in s.queue_depth:
            received = s.frames_received.get(key, 0)
            fps = (received - last.get(key, received)) / (now - last_t)
            last[key] = received
            lines.append(
                f"  {key:<40} {fps:5.1f} fps  queue {s.queue_depth[key]:4d}  spilled {s.spilled.get(key, 0):4d}  "
                f"lag {s.encode_lag_s.get(key, 0.0) * 1000:6.0f} ms  oldest frame "
                f"{s.oldest_frame_age_s.get(key, 0.0) * 1000:5.0f} ms  encoded {s.encoded.get(key, 0)}"
            )
        last_t = now
        if s.phase == "idle":
            continue
        if tty:
            if drawn:
                stream.write(f"\x1b[{drawn}F\x1b[J")
            stream.write("\n".join(lines) + "\n")
            drawn = len(lines)
        else:
            stream.write(lines[0] + "\n")
        stream.flush()
