"""What happened in an episode: timing of the control loop and of every stream."""

from __future__ import annotations

import attrs
import numpy as np

from lerec.dataset.store.labels import EpisodeLabel


@attrs.define(frozen=True)
class StreamReport:
    """One stream of an episode. ``repeated``: ticks where the camera had no new frame and the last one was
    used again. ``spilled``: frames that waited on disk because the encoder was behind."""

    key: str
    frames: int
    repeated: int
    spilled: int
    max_queue_depth: int
    encode_lag_s: float
    oldest_frame_age_s: float = 0.0  # the oldest camera frame a tick used (now minus its capture time)


@attrs.define(frozen=True)
class EpisodeReport:
    """Returned by ``record_episode``. Tick lateness is how late each control-loop tick started.

    The episode ends when its last frame's period does, ``length / fps`` after the first tick (later only if
    the loop ran late): ``duration_s`` runs to there, and ``save_latency_s`` from there until the episode was
    durable, as LeRobot's ``save_episode`` is timed after its loop has slept out the last period.
    ``save_after_last_tick_s`` also counts that last period."""

    episode_index: int
    task: str
    length: int
    duration_s: float
    tick_lateness_ms_p50: float
    tick_lateness_ms_p99: float
    tick_lateness_ms_max: float
    save_latency_s: float
    save_after_last_tick_s: float
    streams: dict[str, StreamReport]
    stopped_early: bool = False
    discarded: bool = False  # rerecord_episode(): nothing of it was saved
    label: EpisodeLabel = EpisodeLabel()  # as saved; `await rec.label(report, success=...)` changes it

    @property
    def achieved_fps(self) -> float:
        return self.length / self.duration_s if self.duration_s > 0 else 0.0

    def summary(self) -> str:
        if self.discarded:
            return f"episode {self.episode_index}: discarded after {self.length} frames, to be recorded again"
        repeated = sum(s.repeated for s in self.streams.values())
        spilled = sum(s.spilled for s in self.streams.values())
        oldest = max((s.oldest_frame_age_s for s in self.streams.values()), default=0.0)
        return (
            f"episode {self.episode_index}: {self.length} frames in {self.duration_s:.2f} s "
            f"({self.achieved_fps:.1f} fps), tick lateness p99 {self.tick_lateness_ms_p99:.1f} ms, "
            f"{repeated} repeated, {spilled} spilled, oldest frame {oldest * 1000:.0f} ms, saved {self.save_latency_s * 1000:.0f} ms after its end"
            + (" (stopped early)" if self.stopped_early else "")
            + (f"; {self.label.describe()}" if self.label != EpisodeLabel() else "")
        )


def old_frame_warnings(index: int, streams: dict[str, StreamReport], stream_fps: dict[str, float],
                       fps: int) -> list[str]:
    """The streams whose episode used frames older than two periods (of the stream or the clock, the slower):
    a camera that lags, though not long enough to be stalled."""
    warnings = []
    for key, report in streams.items():
        two_periods = 2 * max(1 / stream_fps[key] if stream_fps.get(key, 0) > 0 else 0, 1 / fps)
        if report.oldest_frame_age_s > two_periods:
            warnings.append(f"episode {index}: {key} used frames up to {report.oldest_frame_age_s * 1000:.0f} ms "
                            f"old (more than 2 periods, {two_periods * 1000:.0f} ms)")
    return warnings


def lateness_percentiles(lateness_s: list[float]) -> tuple[float, float, float]:
    if not lateness_s:
        return 0.0, 0.0, 0.0
    ms = np.asarray(lateness_s) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99)), float(ms.max())
