"""Frames waiting for a stream's encoder: never blocks the control loop, never drops a frame.

Up to ``memory_frames`` frames wait in memory. When the encoder falls further behind, later frames are written to
a spill file on disk by a worker thread (:meth:`FrameBacklog.run_spiller`), and every frame after them goes the
same way until the spill is drained, so the encoder sees frames in order. ``put`` only appends to a deque.
A frame's place in the spill file is written again once the encoder has read it: the file stays as large as the
deepest backlog, and its pages stay in the page cache rather than new ones being taken for every frame.
"""

from __future__ import annotations

import collections
import itertools
from pathlib import Path

import anyio
import attrs
import numpy as np

from lerec.dataset.store.atomic import RESUME_HINT, raise_disk_error

SPILL_BATCH_FRAMES = 8


@attrs.define(frozen=True)
class QueuedFrame:
    """A frame of the episode: its index, when its tick happened, and where its pixels are."""

    index: int
    tick_ns: int
    data: np.ndarray | None = None
    spill_offset: int | None = None


class FrameBacklog:
    """A FIFO of one stream's frames for one episode; ``put`` on the loop, ``get`` from the encoder task.

    Frames are in three places, oldest first: in memory, spilled to disk, waiting to be spilled."""

    def __init__(self, spill_path: Path, memory_frames: int):
        self.spill_path = Path(spill_path)
        self.memory_frames = max(0, memory_frames)
        self._memory: collections.deque[QueuedFrame] = collections.deque()
        self._spilled: collections.deque[QueuedFrame] = collections.deque()
        self._to_spill: collections.deque[QueuedFrame] = collections.deque()
        self._spill_file = None
        self._reader = None  # the encoder's own handle on the spill file
        self._spill_end = 0  # where the file ends: a frame goes there when no place was freed
        # Places already read back (appended by the encoder's thread), where the spiller writes next.
        self._free_offsets: collections.deque[int] = collections.deque()
        self._frame_shape: tuple | None = None
        self._frame_dtype = None
        self._ready = anyio.Event()
        self._spill_wanted = anyio.Event()
        self._closed = False
        self.spilled_frames = 0
        self.max_depth = 0

    def __len__(self) -> int:
        return len(self._memory) + len(self._spilled) + len(self._to_spill)

    def put(self, index: int, tick_ns: int, data: np.ndarray) -> None:
        """Queue a frame; past the memory limit it is handed to the spiller instead of blocking."""
        if self._closed:
            raise RuntimeError("put() after close()")
        item = QueuedFrame(index, tick_ns, data=data)
        if self._spilled or self._to_spill or len(self._memory) >= self.memory_frames:
            self._to_spill.append(item)
            self.spilled_frames += 1
            self._spill_wanted.set()
        else:
            self._memory.append(item)
        self.max_depth = max(self.max_depth, len(self))
        self._ready.set()

    async def run_spiller(self) -> None:
        """Write frames waiting to be spilled to disk, on a worker thread, until the backlog is closed."""
        while True:
            while self._to_spill:
                # The frames waiting (up to a batch) go to the worker in one call: no thread round trip per frame.
                items = list(itertools.islice(self._to_spill, SPILL_BATCH_FRAMES))
                offsets = await anyio.to_thread.run_sync(self._write_all, [item.data for item in items])
                # The encoder may have taken the first ones meanwhile (it takes from the front); only frames still
                # waiting move to disk, and the places of the others are free again.
                for item, offset in zip(items, offsets):
                    if self._to_spill and self._to_spill[0] is item:
                        self._to_spill.popleft()
                        self._spilled.append(QueuedFrame(item.index, item.tick_ns, spill_offset=offset))
                    else:
                        self._free_offsets.append(offset)
            if self._closed:
                return
            self._spill_wanted = anyio.Event()
            await self._spill_wanted.wait()

    def _write_all(self, frames: list[np.ndarray]) -> list[int]:
        """Write ``frames`` to the spill file, in places already read back or at its end; their offsets."""
        try:
            if self._spill_file is None:
                self.spill_path.parent.mkdir(parents=True, exist_ok=True)
                self._spill_file = open(self.spill_path, "w+b")
                self._frame_shape, self._frame_dtype = frames[0].shape, frames[0].dtype
            offsets = []
            for data in frames:
                # Written from the array itself: a copy into bytes first cost a fifth more CPU per frame.
                pixels = np.ascontiguousarray(data, dtype=self._frame_dtype)
                if pixels.shape != self._frame_shape:  # every place in the file holds one frame of the first's size
                    raise ValueError(f"a frame of {pixels.shape} in a stream of {self._frame_shape} frames")
                if self._free_offsets:
                    offset = self._free_offsets.popleft()
                else:
                    offset, self._spill_end = self._spill_end, self._spill_end + pixels.nbytes
                offsets.append(self._spill_file.seek(offset))
                self._spill_file.write(pixels)
            self._spill_file.flush()  # the encoder thread reads it back through its own file handle
        except OSError as exc:
            raise_disk_error(self.spill_path, exc, RESUME_HINT)  # a full disk: one line naming the spill file
            raise
        return offsets

    def load(self, item: QueuedFrame) -> np.ndarray:
        """The pixels of ``item`` (read from the spill file if it was spilled); safe to call from a thread."""
        if item.data is not None:
            return item.data
        if self._reader is None:  # opened once: the encoder reads every spilled frame through it
            self._reader = open(self.spill_path, "rb", buffering=0)
        data = np.empty(self._frame_shape, dtype=self._frame_dtype)
        self._reader.seek(item.spill_offset)
        got = self._reader.readinto(memoryview(data).cast("B"))  # straight into the array
        if got != data.nbytes:
            raise OSError(f"{self.spill_path}: frame {item.index} read back {got} of {data.nbytes} bytes")
        self._free_offsets.append(item.spill_offset)  # read: the spiller may write another frame there
        return data

    def close(self) -> None:
        """No more frames will come; ``get`` returns None once the rest is taken."""
        self._closed = True
        self._ready.set()
        self._spill_wanted.set()

    async def get(self) -> QueuedFrame | None:
        while True:
            for queue in (self._memory, self._spilled, self._to_spill):
                if queue:
                    return queue.popleft()
            if self._closed:
                return None
            self._ready = anyio.Event()
            await self._ready.wait()

    def take_ready(self, limit: int) -> list[QueuedFrame]:
        """Up to ``limit`` frames that are waiting now, oldest first, without waiting for more."""
        taken = []
        for queue in (self._memory, self._spilled, self._to_spill):
            while queue and len(taken) < limit:
                taken.append(queue.popleft())
        return taken

    def discard(self) -> None:
        """Drop everything and delete the spill file."""
        self._memory.clear()
        self._spilled.clear()
        self._to_spill.clear()
        self._free_offsets.clear()
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._spill_file is not None:
            try:
                self._spill_file.close()
            except OSError:
                pass  # its last write failed (a full disk): that error is the one reported
            self._spill_file = None
        self.spill_path.unlink(missing_ok=True)
