"""``--display_data=true``: every camera (depth colour-mapped) and the state and action values, live in rerun, at a
cost to the recording's clock of next to nothing.

The display never touches the control loop: a thread of its own wakes ``--display.fps`` times a second, takes the
newest frame each camera reader already holds and the last row the loop produced, downscales the images to
``--display.max_width`` and writes them to the display's own process (:mod:`lerec.cli.rerun_feed`), which logs
them to rerun. When that process falls behind, the pipe fills, the thread waits, and the display periods it
missed are dropped: display frames, never recorded ones. rerun's memory is bounded (``--display.memory_limit``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

import anyio
import attrs
import numpy as np

from lerec.cli.lerobot_flags import flag_bool
from lerec.errors import LerecError, SettingsError

def add_display_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("live display (rerun; needs the 'view' extra: pip install 'lerec[view]')")
    g.add_argument("--display_data", type=flag_bool, nargs="?", const=True, default=False, metavar="true|false",
                   help="show every camera and the state/action values live in rerun (LeRobot's flag): a viewer "
                   "on this screen, else a web viewer on 127.0.0.1 whose URL is printed")
    g.add_argument("--display.fps", dest="display_fps", type=float, default=10.0,
                   help="display frames per second, taken off the recording loop (default: 10)")
    g.add_argument("--display.max_width", dest="display_max_width", type=int, default=640,
                   help="images wider than this are downscaled for the display (default: 640)")
    g.add_argument("--display.connect", dest="display_connect", default=None, metavar="HOST:PORT",
                   help="send to a rerun viewer running elsewhere (`rerun --serve-grpc` there)")
    g.add_argument("--display_ip", default=None, help="LeRobot's: the remote viewer's host (--display.connect)")
    g.add_argument("--display_port", type=int, default=None, help="LeRobot's: the remote viewer's port")
    g.add_argument("--display_compressed_images", type=flag_bool, nargs="?", const=True, default=False,
                   metavar="true|false", help="LeRobot's: send camera images as JPEG (less memory and bandwidth, "
                   "more CPU in the display's process)")
    g.add_argument("--display.memory_limit", dest="display_memory_limit", default="1GiB",
                   help="rerun's memory limit (viewer or web server), oldest data dropped past it (default: 1GiB)")
    g.add_argument("--display.grpc_port", dest="display_grpc_port", type=int, default=9876,
                   help="port of the viewer's data server on 127.0.0.1 (default: 9876)")
    g.add_argument("--display.web_port", dest="display_web_port", type=int, default=9090,
                   help="port of the web viewer on 127.0.0.1, without a screen (default: 9090)")
    g.add_argument("--display.save", dest="display_save", default=None, metavar="FILE.rrd",
                   help="write the display to a rerun file instead of showing it")


@attrs.frozen
class DisplaySettings:
    fps: float
    max_width: int
    memory_limit: str
    connect: str | None = None
    save: str | None = None
    grpc_port: int = 9876
    web_port: int = 9090
    compress: bool = False

    @property
    def period_ns(self) -> int:
        return round(1e9 / self.fps)


def display_settings(args: argparse.Namespace) -> DisplaySettings | None:
    """The display the flags ask for (None: --display_data is off); a SettingsError naming a bad flag."""
    if not getattr(args, "display_data", False):
        return None
    if importlib.util.find_spec("rerun") is None:
        raise SettingsError("--display_data needs rerun-sdk, an optional extra: pip install 'lerec[view]'")
    if not (math.isfinite(args.display_fps) and 0 < args.display_fps <= 60):
        raise SettingsError(f"--display.fps={args.display_fps:g}: expected a rate above 0 and at most 60")
    if args.display_max_width < 16:
        raise SettingsError(f"--display.max_width={args.display_max_width}: expected at least 16 pixels")
    connect = args.display_connect
    if args.display_ip is not None or args.display_port is not None:
        if connect is not None:
            raise SettingsError("--display_ip/--display_port and --display.connect name the same viewer: give one")
        connect = f"{args.display_ip or '127.0.0.1'}:{args.display_port or 9876}"
    if connect is not None:
        host, _, port = connect.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536 or any(c in host for c in "/ ?#@"):
            raise SettingsError(f"--display.connect={connect!r}: expected HOST:PORT, e.g. 192.168.1.20:9876")
    for flag, port in (("--display.grpc_port", args.display_grpc_port), ("--display.web_port", args.display_web_port)):
        if not 0 < port < 65536:
            raise SettingsError(f"{flag}={port}: expected a port from 1 to 65535")
    limit = args.display_memory_limit.strip()
    if not limit or not (limit[0].isdigit() and (limit.endswith("%") or limit[-1].isalpha() or limit.isdigit())):
        raise SettingsError(f"--display.memory_limit={limit!r}: expected a size like 1GiB, 500MB or 25%")
    return DisplaySettings(args.display_fps, args.display_max_width, limit, connect, args.display_save,
                           args.display_grpc_port, args.display_web_port, args.display_compressed_images)


def downscaled(image: np.ndarray, max_width: int) -> np.ndarray:
    """``image`` at most ``max_width`` wide: every n-th pixel of every n-th row (no filtering: a display)."""
    step = -(-image.shape[1] // max_width)
    return np.ascontiguousarray(image[::step, ::step]) if step > 1 else np.ascontiguousarray(image)


class LiveDisplay:
    """The display of one recording session (``rec``): its process and the thread that feeds it."""

    def __init__(self, settings: DisplaySettings, rec: Any):
        self.settings = settings
        self.rec = rec
        self.sent = 0  # display frames written, per stream
        self.dropped = 0  # display periods skipped because the display was behind
        self.thread_cpu_s = 0.0  # CPU time the feeding thread took in the recording process
        self._stop = threading.Event()
        self._process: subprocess.Popen | None = None
        self._t0_ns = time.monotonic_ns()

    def _child_settings(self) -> dict[str, Any]:
        from lerec.cli.view import has_screen, viewer_executable

        s = self.settings
        local = s.save is None and s.connect is None
        return {"memory_limit": s.memory_limit, "save": s.save, "connect": s.connect, "grpc_port": s.grpc_port,
                "web_port": s.web_port, "screen": local and has_screen(), "recording_id": str(uuid.uuid4()),
                "compress": s.compress,
                "viewer": viewer_executable() if local else None}

    def start(self) -> str:
        """Start the display's process; returns what it shows on (the web viewer's URL, say). A LerecError in
        one line when rerun is missing or the viewer cannot start."""
        self._process = subprocess.Popen(
            [sys.executable, "-m", "lerec.cli.rerun_feed", json.dumps(self._child_settings())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "RERUN_STRICT": "0"})
        line = self._process.stdout.readline().decode().strip()
        if not line.startswith("ready "):
            self.close()
            raise LerecError(f"the live display did not start: {line.removeprefix('error ') or 'its process ended'}")
        return line.removeprefix("ready ")

    async def run(self, *, task_status=anyio.TASK_STATUS_IGNORED) -> None:
        """Start the display and feed it until cancelled (then its process ends)."""
        where = await anyio.to_thread.run_sync(self.start)
        print(f"live display: {where}", file=sys.stderr)
        task_status.started(where)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(anyio.to_thread.run_sync, self._feed)
                try:
                    await anyio.sleep_forever()
                finally:
                    self._stop.set()  # the thread ends within one display period
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self.close)

    def _feed(self) -> None:
        """At each display period, the newest frames and values into the display's process (this thread)."""
        period = self.settings.period_ns
        last_seq: dict[str, int] = {}
        next_ns = time.monotonic_ns()
        cpu0 = time.thread_time()
        while not self._stop.wait(max(0, next_ns - time.monotonic_ns()) / 1e9):
            try:
                self._send_newest(last_seq)
            except (BrokenPipeError, OSError):
                return  # the display's process ended (its window closed): recording goes on
            finally:
                self.thread_cpu_s = time.thread_time() - cpu0
            next_ns += period
            behind = time.monotonic_ns() - next_ns
            if behind > 0:  # drop the periods missed rather than catch up
                skipped = behind // period + 1
                self.dropped += skipped
                next_ns += skipped * period

    def _send_newest(self, last_seq: dict[str, int]) -> None:
        t = (time.monotonic_ns() - self._t0_ns) / 1e9
        for key, src in list(self.rec.sources.items()):
            frame = src.reader.latest.get(src.stream.name)
            if frame is None or last_seq.get(key) == frame.seq:
                continue
            last_seq[key] = frame.seq
            image = downscaled(np.asarray(frame.data), self.settings.max_width)
            kind = "depth" if src.stream.kind == "depth" else "image"
            self._write({"kind": kind, "path": key, "t": t, "dtype": image.dtype.str, "shape": list(image.shape),
                         "nbytes": image.nbytes}, image)
            self.sent += 1
        row = getattr(self.rec.status, "last_row", None)
        for key, values in _numeric(row).items():
            self._write({"kind": "scalars", "path": key, "t": t, "values": values})

    def _write(self, header: dict[str, Any], payload: np.ndarray | None = None) -> None:
        pipe = self._process.stdin
        pipe.write(json.dumps(header).encode() + b"\n")
        if payload is not None:
            pipe.write(memoryview(payload).cast("B"))
        pipe.flush()

    def close(self) -> None:
        """End the display's process (it flushes what it logged) and wait for it."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def _numeric(row: Mapping[str, Any] | None) -> dict[str, list[float]]:
    """The row's numeric values as lists of floats (the display's scalars)."""
    out = {}
    for key, value in (row or {}).items():
        array = np.asarray(value)
        if array.dtype.kind in "fiub" and array.size <= 64:
            out[key] = array.astype(np.float64).reshape(-1).tolist()
    return out


async def start_live_display(tg, rec: Any, args: argparse.Namespace) -> LiveDisplay | None:
    """Start the display ``args`` ask for inside the session's task group ``tg`` (cancelled with it)."""
    settings = display_settings(args)
    if settings is None:
        return None
    display = LiveDisplay(settings, rec)
    await tg.start(display.run)
    return display
