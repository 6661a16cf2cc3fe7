"""The live view of ``lerec record``, drawn with rich: the episode, its tick and time left, the keys; per camera
stream the camera's fps, the encoder's queue, spilled frames, encode lag and the oldest frame's age; the robot's
loop rate.

:func:`render` is a pure function of a :class:`Snapshot`; :func:`show_status` only takes snapshots and hands
them to a rich ``Live`` region. The region is transient and everything printed while it is shown (episode
summaries, the reset line, log messages) goes above it, so the scroll-back keeps it. When the view's stream is not
a terminal, there is no view: ``lerec record`` prints one plain summary line per episode.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import time
from collections.abc import Iterator
from typing import Any, TextIO

import anyio
import attrs
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from lerec.recording import Recorder

KEYS = "→/n end  ←/r re-record  Esc/q stop  s/f success/failure"
_PREFIX = "observation.images."


@attrs.define(frozen=True)
class StreamLine:
    name: str  # the feature key without "observation.images."
    fps: float | None  # frames per second received from the camera (None: not measured yet)
    queue: int  # frames waiting for the encoder
    spilled: int
    encode_lag_s: float
    frame_age_s: float


@attrs.define(frozen=True)
class RobotLine:
    name: str
    loop_hz: float | None  # ticks per second of the robot's read -> action -> send loop


@attrs.define(frozen=True)
class Snapshot:
    """What the live view shows, taken from a recorder at one instant."""

    phase: str
    episode_index: int
    tick: int
    length: int
    time_left_s: float
    streams: tuple[StreamLine, ...] = ()
    robots: tuple[RobotLine, ...] = ()
    keys: bool = False
    label: str = ""  # the label of the episode the keys s/f mark: "episode 3: success"


def frame_age_s(rec: Recorder, key: str) -> float:
    """How old the stream's frames are: the episode's oldest when the recorder reports it, else the newest
    frame's age."""
    oldest = getattr(rec.status, "oldest_frame_age_s", None)
    if oldest and key in oldest:
        return oldest[key]
    src = rec.sources[key]
    return src.reader.age_s(src.stream.name)


class Rates:
    """Per-second rates of counters between two calls; a counter that went back (a new episode) restarts."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[int, int]] = {}

    def __call__(self, name: str, count: int, now_ns: int) -> float | None:
        last = self._last.get(name)
        self._last[name] = (count, now_ns)
        if last is None or count < last[0] or now_ns <= last[1]:
            return None
        return (count - last[0]) * 1e9 / (now_ns - last[1])


def take_snapshot(rec: Recorder, rates: Rates, now_ns: int, keys: bool = False) -> Snapshot:
    s = rec.status
    streams = []
    for key, src in rec.sources.items():
        received = src.reader.received.get(src.stream.name, 0)
        streams.append(StreamLine(
            key.removeprefix(_PREFIX), rates(key, received, now_ns), s.queue_depth.get(key, 0),
            s.spilled.get(key, 0), s.encode_lag_s.get(key, 0.0), frame_age_s(rec, key)))
    robots = []
    if rec.robot is not None:
        driving = s.phase in ("recording", "reset")
        hz = rates(f"robot:{s.phase}:{s.episode_index}", s.tick, now_ns) if driving else None
        robots.append(RobotLine(rec.robot.name, hz))
    target = rec.label_target()
    label = f"episode {target}: {rec.shown_label(target).describe()}" if target is not None else ""
    return Snapshot(s.phase, s.episode_index, s.tick, s.length, s.time_left_s, tuple(streams), tuple(robots), keys,
                    label)


def _ms(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "-"
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.0f} s"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def headline(snap: Snapshot) -> str:
    """``episode 3 recording: tick 120/300, 6.0 s left``, or what the episode waits for after its last tick."""
    if snap.phase == "recording":
        return f"episode {snap.episode_index} recording: tick {snap.tick}/{snap.length}, {snap.time_left_s:.1f} s left"
    if snap.phase == "reset":
        return f"reset before episode {snap.episode_index}: {snap.time_left_s:.1f} s left"
    if snap.phase in ("encoding", "saving"):
        queued = sum(line.queue for line in snap.streams)
        return f"episode {snap.episode_index} {snap.phase}: {snap.tick} frames, {queued} still to encode"
    return f"episode {snap.episode_index} {snap.phase}"


def render(snap: Snapshot) -> RenderableType:
    """The view of one snapshot: at most 80 columns (long names are cut, never wrapped), one line per stream."""
    parts: list[RenderableType] = [Text(headline(snap), style="bold", no_wrap=True, overflow="ellipsis")]
    if snap.keys:
        parts.append(Text("keys: " + KEYS, style="dim", no_wrap=True, overflow="ellipsis"))
    if snap.label:
        parts.append(Text("label: " + snap.label, no_wrap=True, overflow="ellipsis"))
    if snap.streams:
        table = Table(box=None, pad_edge=False, show_edge=False, header_style="dim")
        table.add_column("stream", no_wrap=True, overflow="ellipsis", min_width=6, max_width=28)
        for title in ("fps", "queue", "spilled", "enc lag", "frame age"):
            table.add_column(title, justify="right", no_wrap=True)
        for line in snap.streams:
            table.add_row(line.name, _rate(line.fps), str(line.queue), str(line.spilled), _ms(line.encode_lag_s),
                          _ms(line.frame_age_s))
        parts.append(table)
    for robot in snap.robots:
        parts.append(Text(f"robot {robot.name}: loop {_rate(robot.loop_hz)} Hz", no_wrap=True, overflow="ellipsis"))
    return Group(*parts)


@contextlib.contextmanager
def _logs_above(stream: TextIO, proxy: Any) -> Iterator[None]:
    """Log handlers writing to ``stream`` write through ``proxy`` (above the live region) while it is shown."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler) and h.stream is stream]
    for handler in handlers:
        handler.setStream(proxy)
    try:
        yield
    finally:
        for handler in handlers:
            handler.setStream(stream)


async def show_status(rec: Recorder, interval_s: float = 0.5, stream: TextIO | None = None,
                      keys: bool = False) -> None:
    """Show the live view on ``stream`` (stderr) until cancelled; nothing when it is not a terminal. ``keys``:
    keyboard control is on (the view lists the keys)."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return
    console = Console(file=stream)
    rates = Rates()
    is_stderr = stream is sys.stderr
    with Live(console=console, transient=True, auto_refresh=False, redirect_stdout=is_stderr and sys.stdout.isatty(),
              redirect_stderr=is_stderr) as live, _logs_above(stream, sys.stderr if is_stderr else stream):
        while True:
            snap = take_snapshot(rec, rates, time.monotonic_ns(), keys)
            view = Text("") if snap.phase == "idle" else render(snap)
            # Drawing a table takes milliseconds of Python: on a worker thread, the control loop's tick preempts
            # it (the GIL switch interval is 0.5 ms during a session) instead of waiting for it.
            await anyio.to_thread.run_sync(lambda: live.update(view, refresh=True))
            await anyio.sleep(interval_s)


def view_lines(snap: Snapshot, width: int = 80) -> list[str]:
    """The view as plain text lines on a terminal ``width`` columns wide (for tests and docs)."""
    console = Console(width=width, file=io.StringIO(), color_system=None)
    console.print(render(snap))
    return console.file.getvalue().splitlines()

