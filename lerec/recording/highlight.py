"""The ``highlight`` strategy: the last seconds of every camera kept already encoded, saved as an episode on a key.

Every stream is encoded as it is recorded into packets held in memory (:class:`RingStream`), with a keyframe
forced every second on every stream at once; whole seconds older than the window are dropped, so memory is the
window's compressed size, not raw frames. A first :meth:`Highlights.mark` starts an episode at the oldest second
still held (the window before the key) and stops dropping: recording continues live. The second mark (or the
session's end) cuts every stream at that tick, writes each as a one-fragment MP4 and saves the episode through the
same :class:`~lerec.dataset.writing.episode_save.EpisodeSave` as every recorded episode, while the clock goes on.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import anyio
import attrs
import numpy as np

from lerec.dataset.spec.stats import ImageStats, Stats
from lerec.dataset.writing.episode_save import EpisodeSave
from lerec.dataset.writing.writer import EpisodeVideo
from lerec.encoding.config import RGBEncoderConfig
from lerec.encoding.ffmpeg_mapping import encoder_name
from lerec.encoding.packet_encoder import EncodedFrame, PacketEncoder, StreamFormat, write_fragment
from lerec.errors import EncoderError, SettingsError
from lerec.recording.clock import sleep_until, tick_offset_ns
from lerec.recording.recorder import Recorder
from lerec.recording.camera_streams import CameraStream
from lerec.recording.tick_phase import first_tick_of


@attrs.define
class Cut:
    """A highlight being cut: ticks ``start..end`` of every stream; ``videos`` filled as each stream is written."""

    start: int
    end: int
    videos: dict[str, EpisodeVideo] = attrs.field(factory=dict)
    done: dict[str, anyio.Event] = attrs.field(factory=dict)


class RingStream:
    """One stream's frames since ``origin``, encoded; seconds (``gop`` ticks) before the window dropped whole."""

    def __init__(self, src: CameraStream, fps: int, window: int, threads: int | None, staging, limiter):
        if src.stream.kind != "rgb" or not isinstance(src.config, RGBEncoderConfig):
            raise SettingsError(f"--strategy.type=highlight keeps RGB cameras only; {src.key} is {src.stream.kind}")
        self.src, self.fps, self.window, self.gop = src, fps, window, fps
        self.staging, self.limiter = staging, limiter
        self.format = StreamFormat(encoder_name(src.config.vcodec), tuple(src.config.ffmpeg_options(threads).items()),
                                   src.stream.width, src.stream.height, fps, src.config.pix_fmt, "rgb24")
        self.pending: collections.deque[tuple[int, np.ndarray]] = collections.deque()
        self.wake = anyio.Event()
        self.lock = threading.Lock()  # packets and stats: the worker thread writes them, the loop reads the oldest
        self.packets: collections.deque[EncodedFrame] = collections.deque()
        self.stats: collections.OrderedDict[int, ImageStats] = collections.OrderedDict()  # by second
        self.encoder: PacketEncoder | None = None
        self.origin = 0  # the tick the current encoder started at (a keyframe)
        self.encoded_through = -1
        self.live = False  # a highlight is being recorded: nothing is dropped
        self.cut: Cut | None = None
        self.bytes_held = 0
        self.max_pending = 0  # raw frames waiting for the encoder (the clock never waits for it)

    def put(self, tick: int, image: np.ndarray) -> None:
        self.pending.append((tick, image))
        self.max_pending = max(self.max_pending, len(self.pending))
        self.wake.set()

    def hold(self) -> int:
        """Stop dropping (a highlight starts); the oldest tick held, a keyframe of this stream."""
        with self.lock:
            self.live = True
            return max(next(iter(self.stats)) * self.gop, self.origin) if self.stats else self.origin

    def _encode(self, batch: list[tuple[int, np.ndarray]]) -> None:
        for tick, image in batch:
            if self.encoder is None:
                self.encoder, self.origin = PacketEncoder(self.format), tick
            second = tick // self.gop
            packets = self.encoder.encode(np.ascontiguousarray(image), tick, keyframe=tick % self.gop == 0)
            with self.lock:
                self.stats.setdefault(second, ImageStats(self.src.stream.channels, "rgb")).add(image)
                self._keep(packets)
                self.encoded_through = tick
                if not self.live:
                    self._drop_before(tick - self.window)

    def _keep(self, packets: list[EncodedFrame]) -> None:
        self.packets.extend(packets)
        self.bytes_held += sum(len(p.data) for p in packets)

    def _drop_before(self, tick: int) -> None:
        """Drop the seconds wholly before ``tick``, keeping at least the window."""
        first = tick // self.gop
        while self.stats and next(iter(self.stats)) < first:
            self.stats.popitem(last=False)
        start = (next(iter(self.stats)) * self.gop) if self.stats else tick
        while self.packets and self.packets[0].pts < start:
            self.bytes_held -= len(self.packets.popleft().data)

    def _write(self, cut: Cut, index: int) -> EpisodeVideo:
        """Flush the encoder, write ticks ``cut.start..cut.end`` to staging, start a new encoder after them."""
        encoder, self.encoder = self.encoder, None
        extradata = encoder.extradata
        with self.lock:
            self._keep(encoder.flush())
            packets = sorted((p for p in self.packets if cut.start <= p.pts <= cut.end), key=lambda p: p.dts)
            seconds = [s for s in self.stats if cut.start // self.gop <= s]
            stats = ImageStats(self.src.stream.channels, "rgb")
            for s in seconds:
                stats.hist += self.stats[s].hist
                stats.frames += self.stats[s].frames
            self.packets.clear()
            self.stats.clear()
            self.bytes_held = 0
            self.live = False
        path = self.staging / f"highlight-ep{index:06d}-{self.src.reader.name}-{self.src.stream.name}.mp4"
        count = write_fragment(path, self.format, extradata, packets, cut.start)
        if count != cut.end - cut.start + 1 or not packets[0].keyframe:
            raise ValueError(f"{count} frames held for ticks {cut.start}..{cut.end}")
        return EpisodeVideo(path, stats.result())

    async def run(self, index_of: Callable[[], int]) -> None:
        """Encode what the clock puts, and cut when asked; until cancelled. Errors name the stream."""
        try:
            while True:
                await self.wake.wait()
                self.wake = anyio.Event()
                cut = self.cut
                batch = []
                while self.pending and (cut is None or self.pending[0][0] <= cut.end):
                    batch.append(self.pending.popleft())
                if batch:
                    await anyio.to_thread.run_sync(self._encode, batch, limiter=self.limiter)
                if cut is not None and self.encoded_through >= cut.end:
                    cut.videos[self.src.key] = await anyio.to_thread.run_sync(self._write, cut, index_of(),
                                                                              limiter=self.limiter)
                    self.cut = None
                    cut.done[self.src.key].set()
                    self.wake.set()  # frames after the cut wait in pending
        except Exception as exc:
            raise EncoderError(self.src.reader.name, self.src.stream.name, f"{type(exc).__name__}: {exc}") from exc


class Highlights:
    """The highlight session of a :class:`Recorder`: call :meth:`run`; :meth:`mark` (a key) starts a highlight
    with the window before it, and ends it."""

    def __init__(self, rec: Recorder, rows: Callable[[], Any], seconds: float, task: str):
        self.rec, self.rows_of, self.task = rec, rows, task
        self.window = max(1, round(seconds * rec.fps))
        self.rings = {key: RingStream(src, rec.fps, self.window, rec.stream_threads, rec.writer.staging,
                                      anyio.CapacityLimiter(1)) for key, src in rec.sources.items()}
        self.rows: collections.deque[tuple[int, dict, dict, dict]] = collections.deque()  # tick, row, seqs, ages
        self.tick = 0
        self._marks = 0  # asked from any thread: read each tick
        self._start: int | None = None
        self.saving = anyio.Lock()
        self.saved: list[int] = []
        self.peak_bytes = 0

    def mark(self) -> None:
        """Start a highlight (the window before now, then live), or end the one being recorded and save it."""
        self._marks += 1

    async def run(self, length: int | None, on_saved: Callable[[int], Any] | None = None) -> list[int]:
        """Tick at the dataset fps for ``length`` ticks (None: until the recorder is stopped); returns the indices
        of the episodes saved. A highlight still live at the end is saved."""
        cuts: list[Cut] = []
        async with anyio.create_task_group() as saves:
            async with anyio.create_task_group() as workers:
                for ring in self.rings.values():
                    workers.start_soon(ring.run, lambda: self.rec.num_episodes)
                # Between the cameras' frame arrivals, as an episode's ticks (lerec.recording.tick_phase).
                handled, t0 = 0, first_tick_of([ring.src for ring in self.rings.values()], self.rec.fps,
                                               time.monotonic_ns())
                while (length is None or self.tick < length) and not self.rec.stopped:
                    deadline = t0 + tick_offset_ns(self.tick, self.rec.fps)
                    await sleep_until(deadline)
                    if self._marks > handled:
                        handled += 1
                        self._toggle(saves, cuts, on_saved)
                    self._sample()
                    row = await self.rows_of()
                    self.rows[-1] = (*self.rows[-1][:3], row)
                    if self._start is None:
                        while self.rows[0][0] < self.tick - self.window - 2 * self.rec.fps:
                            self.rows.popleft()
                    self.tick += 1
                if self._start is not None:
                    self._toggle(saves, cuts, on_saved)
                for cut in cuts:  # the encoders live until every cut is written
                    for event in cut.done.values():
                        await event.wait()
                workers.cancel_scope.cancel()
        return self.saved

    def _sample(self) -> None:
        seqs, ages, now = {}, {}, time.monotonic_ns()
        for key, ring in self.rings.items():
            frame = ring.src.reader.newest(ring.src.stream.name)
            seqs[key], ages[key] = frame.seq, (now - frame.timestamp_ns) // 1000
            ring.put(self.tick, frame.data)
        self.rows.append((self.tick, seqs, ages, None))
        self.peak_bytes = max(self.peak_bytes, sum(r.bytes_held for r in self.rings.values()))

    def _toggle(self, saves, cuts: list[Cut], on_saved) -> None:
        if self._start is None:
            start = max(ring.hold() for ring in self.rings.values())
            first_row = self.rows[0][0] if self.rows else self.tick
            if first_row > start:  # the encoders ran ahead of the rows kept: start at the next common keyframe
                start = -(-first_row // self.rec.fps) * self.rec.fps
            self._start = start
            return
        cut = Cut(self._start, self.tick - 1)
        self._start = None
        if cut.end < cut.start:  # marked twice before its first keyframe: nothing to save
            for ring in self.rings.values():
                with ring.lock:
                    ring.live = False
            return
        for key, ring in self.rings.items():
            cut.done[key] = anyio.Event()
            ring.cut = cut
            ring.wake.set()
        rows = [r for r in self.rows if cut.start <= r[0] <= cut.end]
        cuts.append(cut)
        saves.start_soon(self._save, cut, rows, on_saved)

    async def _save(self, cut: Cut, rows: list, on_saved) -> None:
        async with self.saving:
            for event in cut.done.values():
                await event.wait()
            index = self.rec.num_episodes
            features = self.rec.declared_features
            async with EpisodeSave.open(self.rec.writer, self.task) as save:
                provenance = {}
                for key in self.rings:
                    provenance[f"lerec/{key}/camera_seq"] = [r[1][key] for r in rows]
                    provenance[f"lerec/{key}/capture_age_us"] = [r[2][key] for r in rows]
                save.begin(len(rows), provenance)

                async def frames():
                    return {key: np.stack([r[3][key] for r in rows]) for key in features}, {}

                async def video_stats() -> Mapping[str, Stats]:
                    return {key: video.stats for key, video in cut.videos.items()}

                save.write_frames(frames)
                save.stage_row(video_stats)
                for key, video in cut.videos.items():
                    save.add_video(key, _ready(video))
            self.saved.append(index)
            if on_saved is not None:
                on_saved(index)


def _ready(video: EpisodeVideo):
    async def get() -> EpisodeVideo:
        return video
    return get
