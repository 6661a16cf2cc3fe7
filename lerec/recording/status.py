"""What a recording session is doing now, for live displays: phase, tick, and each stream's backlog."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import anyio
import attrs


@attrs.define
class RecorderStatus:
    """A snapshot for live displays."""

    phase: str = "idle"
    episode_index: int = 0
    tick: int = 0
    length: int = 0
    fps: int = 0
    queue_depth: dict[str, int] = attrs.field(factory=dict)
    spilled: dict[str, int] = attrs.field(factory=dict)
    encode_lag_s: dict[str, float] = attrs.field(factory=dict)
    frames_received: dict[str, int] = attrs.field(factory=dict)
    encoded: dict[str, int] = attrs.field(factory=dict)
    oldest_frame_age_s: dict[str, float] = attrs.field(factory=dict)
    last_row: Mapping[str, Any] | None = None  # the numeric values of the last tick (live displays)

    @property
    def time_left_s(self) -> float:
        return max(0, self.length - self.tick) / self.fps if self.fps else 0.0

    def update(self, tick: int, encoders: Mapping[str, Any], ages_us: Mapping[str, list[int]],
               sources: Iterable[Any]) -> None:
        """After tick ``tick``: each stream's backlog, encoder and oldest frame, and the frames each camera gave."""
        self.tick = tick
        for key, e in encoders.items():
            self.queue_depth[key] = len(e.backlog)
            self.spilled[key] = e.backlog.spilled_frames
            self.encode_lag_s[key] = e.lag_s
            self.encoded[key] = e.encoded
            if ages_us[key]:
                self.oldest_frame_age_s[key] = max(self.oldest_frame_age_s.get(key, 0.0), ages_us[key][-1] / 1e6)
        for src in sources:
            self.frames_received[src.key] = src.reader.received.get(src.stream.name, 0)

    async def follow_draining(self, encoders: Mapping[str, Any], interval_s: float = 0.1) -> None:
        """Keep the backlogs current while the encoders drain them after the last tick (the live view shows the
        queues going down during a long save), every ``interval_s``; returns as soon as they have all taken their
        last frame (the episode's save waits for this task: a sleep to the next interval cost it up to 100 ms)."""
        while True:
            drained = all(e.frames_encoded.is_set() for e in encoders.values())
            for key, e in encoders.items():
                self.queue_depth[key] = len(e.backlog)
                self.encode_lag_s[key] = e.lag_s
                self.encoded[key] = e.encoded
            if drained:
                return
            with anyio.move_on_after(interval_s):
                for e in encoders.values():
                    await e.frames_encoded.wait()
