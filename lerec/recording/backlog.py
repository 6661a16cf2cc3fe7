"""Frames waiting for a stream's encoder: never blocks the control loop, never drops a frame.

Up to ``memory_frames`` frames wait in memory. When the encoder falls further behind, later frames go to a spill
file on disk, and every frame after them too until the spill is drained, so the encoder sees frames in order.
"""

from __future__ import annotations

import collections
import os
from pathlib import Path

import anyio
import attrs
import numpy as np


@attrs.define(frozen=True)
class QueuedFrame:
    """A frame of the episode: its index, when its tick happened, and where its pixels are."""

    index: int
    tick_ns: int
    data: np.ndarray | None = None
    spill_offset: int | None = None


class FrameBacklog:
    """A FIFO of one stream's frames for one episode; ``put`` on the loop, ``get`` from the encoder task."""

    def __init__(self, spill_path: Path, memory_frames: int):
        self.spill_path = Path(spill_path)
        self.memory_frames = max(0, memory_frames)
        self._memory: collections.deque[QueuedFrame] = collections.deque()
        self._spilled: collections.deque[QueuedFrame] = collections.deque()
        self._spill_file = None
        self._frame_shape: tuple | None = None
        self._frame_dtype = None
        self._event = anyio.Event()
        self._closed = False
        self.spilled_frames = 0
        self.max_depth = 0

    def __len__(self) -> int:
        return len(self._memory) + len(self._spilled)

    def put(self, index: int, tick_ns: int, data: np.ndarray) -> None:
        """Queue a frame; spills to disk instead of blocking when the memory part is full."""
        if self._closed:
            raise RuntimeError("put() after close()")
        if self._spilled or len(self._memory) >= self.memory_frames:
            self._spilled.append(QueuedFrame(index, tick_ns, spill_offset=self._spill(data)))
            self.spilled_frames += 1
        else:
            self._memory.append(QueuedFrame(index, tick_ns, data=data))
        self.max_depth = max(self.max_depth, len(self))
        self._event.set()

    def _spill(self, data: np.ndarray) -> int:
        if self._spill_file is None:
            self.spill_path.parent.mkdir(parents=True, exist_ok=True)
            self._spill_file = open(self.spill_path, "w+b")
            self._frame_shape, self._frame_dtype = data.shape, data.dtype
        offset = self._spill_file.seek(0, os.SEEK_END)
        self._spill_file.write(np.ascontiguousarray(data, dtype=self._frame_dtype).tobytes())
        self._spill_file.flush()  # the encoder thread reads it back through its own file handle
        return offset

    def load(self, item: QueuedFrame) -> np.ndarray:
        """The pixels of ``item`` (read from the spill file if it was spilled); safe to call from a thread."""
        if item.data is not None:
            return item.data
        count = int(np.prod(self._frame_shape))
        data = np.fromfile(self.spill_path, dtype=self._frame_dtype, count=count, offset=item.spill_offset)
        return data.reshape(self._frame_shape)

    def close(self) -> None:
        """No more frames will come; ``get`` returns None once the rest is taken."""
        self._closed = True
        self._event.set()

    async def get(self) -> QueuedFrame | None:
        while True:
            if self._memory:
                return self._memory.popleft()
            if self._spilled:
                return self._spilled.popleft()
            if self._closed:
                return None
            self._event = anyio.Event()
            await self._event.wait()

    def discard(self) -> None:
        """Drop everything and delete the spill file."""
        self._memory.clear()
        self._spilled.clear()
        if self._spill_file is not None:
            self._spill_file.close()
            self._spill_file = None
        self.spill_path.unlink(missing_ok=True)
