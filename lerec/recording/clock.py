"""The dataset clock, in integer nanoseconds: float seconds at large monotonic values lose a period's last bits."""

from __future__ import annotations

NS_PER_S = 1_000_000_000


def tick_offset_ns(k: int, fps: int) -> int:
    """When tick ``k`` is due after the first, rounded up to the nanosecond (never before ``k / fps``)."""
    return -(-k * NS_PER_S // fps)
