"""Where an episode's ticks fall between the cameras' frames.

A tick takes each stream's newest frame. A camera at the dataset's rate hands its frames over at a steady phase of
the tick period, give or take its jitter; ticks that fall inside that window take the frame before at some ticks
and the frame after at others: repeated frames, then skipped ones, though the camera kept its rate. The first tick
is placed at a phase of the period that the last 3 s of arrivals came no nearer than a margin to (a tenth of them
may: frames late while the episode before was saved, or while its encoders opened), the one where the frames are
freshest; the ticks keep that phase for the episode.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from lerec.recording.clock import NS_PER_S

ARRIVALS_KEPT = 90  # per stream: the last 3 s at 30 fps
ARRIVALS_NEEDED = 15  # per stream, before its phase counts (half a second at 30 fps)
OUTLIERS = 10  # a tick may come near this percentage of them: arrivals late while an episode was saved
MARGIN_NS = 5_000_000  # a tick this close to an arrival, before or after it, may take either frame (a quarter
# period at most)


def first_tick_of(sources: Iterable[Any], fps: int, now_ns: int) -> int:
    """:func:`first_tick_ns` for camera streams (each with ``.reader.arrivals`` and ``.stream.name``) at ``fps``.
    A stream with fewer than ``ARRIVALS_NEEDED`` arrivals yet is left out: just after the cameras opened, frames
    come late while the session sets up, and a phase read from them would be off."""
    arrivals = [a for src in sources if len(a := src.reader.arrivals.get(src.stream.name, ())) >= ARRIVALS_NEEDED]
    return first_tick_ns(now_ns, arrivals, NS_PER_S // fps)


def first_tick_ns(now_ns: int, arrivals: Iterable[Iterable[int]], period_ns: int) -> int:
    """The first tick at or after ``now_ns``, less than a period later, given the frame arrivals of each stream
    (monotonic ns); ``now_ns`` when there are none."""
    phases = np.sort(np.fromiter((t % period_ns for stream in arrivals for t in stream), dtype=np.int64))
    if not phases.size:
        return now_ns
    n, margin = phases.size, min(MARGIN_NS, period_ns // 4)
    candidates = (phases + margin) % period_ns  # a margin after each arrival
    # Arrivals strictly within the margin of a candidate, either side, round the period.
    twice = np.concatenate([phases, phases + period_ns])
    low = (candidates - margin) % period_ns
    near = np.searchsorted(twice, low + 2 * margin, "left") - np.searchsorted(twice, low, "right")
    # The frames' ages summed at each candidate: sum((c - a) mod period) over the arrivals a.
    later = n - np.searchsorted(phases, candidates, "right")  # arrivals after c in the period: a period older
    ages = n * candidates - int(phases.sum()) + period_ns * later
    allowed = max(int(near.min()), n * OUTLIERS // 100)
    best = int(np.argmin(np.where(near <= allowed, ages, np.iinfo(np.int64).max)))  # the freshest frames
    return now_ns + (int(candidates[best]) - now_ns) % period_ns
