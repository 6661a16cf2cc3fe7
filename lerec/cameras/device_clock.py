"""Map a device's frame timestamps onto lerec's ``time.monotonic_ns()`` clock."""

from __future__ import annotations

import time


class DeviceClock:
    """Maps device timestamps (any epoch, nanoseconds) onto ``time.monotonic_ns()``.

    The offset is the smallest ``arrival - device time`` seen so far: the frame that reached the host with the
    least delay anchors the mapping, so a mapped timestamp is never later than the frame's arrival and, for
    device timestamps that increase, mapped timestamps never decrease.
    """

    def __init__(self) -> None:
        self._offset_ns: int | None = None

    def to_monotonic_ns(self, device_ns: int, arrival_ns: int | None = None) -> int:
        arrival = time.monotonic_ns() if arrival_ns is None else arrival_ns
        offset = arrival - device_ns
        if self._offset_ns is None or offset < self._offset_ns:
            self._offset_ns = offset
        return device_ns + self._offset_ns
