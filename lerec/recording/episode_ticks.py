"""An episode's control loop: at each tick of the dataset clock, the newest frame of every stream into its
encoder's backlog (a camera slower than fps repeats its last frame, counted), then the tick's row.

What ends the episode is raised from the loop, once: a camera's own error, a stream silent past its frame age
limit, the row source's error, or :class:`Rerecorded`. An end request ends it early, saved.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from lerec.recording.clock import sleep_until, tick_offset_ns
from lerec.recording.episode_control import EpisodeControls, Rerecorded
from lerec.recording.report import EpisodeReport, lateness_percentiles
from lerec.recording.robot_loop import RobotRows, StepRows
from lerec.recording.camera_streams import CameraStream
from lerec.recording.status import RecorderStatus
from lerec.recording.stream_encoder import StreamEncoder
from lerec.recording.tick_phase import first_tick_of


@attrs.define
class Ticks:
    """What an episode's ticks took: a row per tick, and per stream the camera frame (``seqs``) and its age."""

    rows: list[Mapping[str, Any]]
    seqs: dict[str, list[int]]
    ages_us: dict[str, list[int]]
    repeated: dict[str, int]  # ticks that used the frame the tick before used
    lateness: list[float] = attrs.field(factory=list)  # seconds each tick started after its deadline
    t0_ns: int = 0
    end_ns: int = 0  # after the last tick

    @classmethod
    def of(cls, keys: Mapping[str, Any]) -> Ticks:
        return cls([], {key: [] for key in keys}, {key: [] for key in keys}, dict.fromkeys(keys, 0))


async def run_ticks(controls: EpisodeControls, status: RecorderStatus, sources: Mapping[str, CameraStream],
                    encoders: Mapping[str, StreamEncoder], rows: StepRows | RobotRows, *, task: str, index: int,
                    length: int, fps: int, on_first_tick: Callable[[int], None] | None = None) -> Ticks:
    """Run up to ``length`` ticks of episode ``index``; what ended it early is raised. ``on_first_tick(t0_ns)``
    hears when the episode starts (sensors keep their samples from then on)."""
    ticks = Ticks.of(encoders)
    last_seq: dict[str, int] = {}
    # Just after the cameras' frames arrive, not among them (lerec.recording.tick_phase): at most a period later.
    ticks.t0_ns = t0_ns = first_tick_of(sources.values(), fps, time.monotonic_ns())
    if on_first_tick is not None:
        on_first_tick(t0_ns)
    for k in range(length):
        if k > 0 and controls._end_requested():
            break
        if controls._rerecord_requested:
            raise Rerecorded(EpisodeReport(index, task, len(ticks.rows), max(0, time.monotonic_ns() - t0_ns) / 1e9,
                                           *lateness_percentiles(ticks.lateness), 0.0, 0.0, {},
                                           stopped_early=True, discarded=True))
        deadline_ns = t0_ns + tick_offset_ns(k, fps)
        now_ns = await sleep_until(deadline_ns)
        late_ns = max(0, now_ns - deadline_ns)
        ticks.lateness.append(late_ns / 1e9)
        for key, src in sources.items():
            frame = src.reader.newest(src.stream.name)
            age_ns = now_ns - frame.timestamp_ns
            # A loop running late ages every frame alike: only the camera's own silence counts.
            if age_ns - late_ns > src.max_frame_age_ns:
                raise src.stalled(age_ns)
            if last_seq.get(key) == frame.seq:
                ticks.repeated[key] += 1
            last_seq[key] = frame.seq
            ticks.seqs[key].append(frame.seq)
            ticks.ages_us[key].append(age_ns // 1000)
            encoders[key].backlog.put(k, now_ns, frame.data)
        ticks.rows.append(await rows.row(k))
        status.last_row = ticks.rows[-1]
        status.update(k + 1, encoders, ticks.ages_us, sources.values())
    ticks.end_ns = time.monotonic_ns()
    return ticks
