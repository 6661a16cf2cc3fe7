"""One stream's encoding for one episode: takes frames from its backlog and encodes them on a worker thread."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import attrs
import numpy as np

from lerec.cameras.base import StreamSpec
from lerec.dataset.spec.stats import ImageStats, Stats
from lerec.dataset.store.atomic import RESUME_HINT, disk_error
from lerec.dataset.writing.writer import EpisodeVideo
from lerec.encoding.config import DepthEncoderConfig, EncoderConfig
from lerec.encoding.depth import quantize_depth
from lerec.encoding.episode_encoder import EpisodeEncoder
from lerec.encoding.png import encode_png
from lerec.encoding.realtime import encoding_in_background
from lerec.encoding.video_encoding import VideoEncoding
from lerec.errors import EncoderConfigError, EncoderError
from lerec.recording.backlog import FrameBacklog, QueuedFrame


BATCH_FRAMES = 8


@attrs.define
class EpisodeImages:
    """One stream of an episode as PNG images (``video=False`` datasets), with its statistics."""

    pngs: list[bytes]
    stats: Stats


class StreamEncoder:
    """Encodes frames ``0..n-1`` of one stream into a one-fragment MP4 in the staging folder, or into PNG
    images when ``as_images``."""

    def __init__(
        self,
        camera: str,
        stream: StreamSpec,
        config: EncoderConfig,
        *,
        fps: int,
        staging: Path,
        episode_index: int,
        encoder_threads: int | None,
        memory_frames: int,
        limiter: anyio.CapacityLimiter,
        as_images: bool = False,
    ):
        self.camera = camera
        self.stream = stream
        self.config = config
        self.fps = fps
        self.encoder_threads = encoder_threads
        self.limiter = limiter
        self.as_images = as_images
        self.pngs: list[bytes] = []
        stem = f"ep{episode_index:06d}-{camera}-{stream.name}"
        self.video_path = staging / f"{stem}.mp4"
        self.backlog = FrameBacklog(staging / f"{stem}.spill", memory_frames)
        self.stats = ImageStats(stream.channels, stream.kind)
        self.encoded = 0
        self.lag_s = 0.0
        self._error: EncoderError | None = None  # what ended run(), for result() to raise
        self._encoder: EpisodeEncoder | None = None
        self._hurried = False
        self.frames_encoded = anyio.Event()  # every frame is in the encoder (and in the stats); it may still flush
        # (never set when encoding fails: run() raises, and the task group cancels whoever waits)
        self._done = anyio.Event()

    def _open(self) -> None:
        encoding = VideoEncoding(self.config)
        self._encoder = encoder = encoding.open_encoder(self.video_path, width=self.stream.width,
                                                        height=self.stream.height, fps=self.fps,
                                                        encoder_threads=self.encoder_threads)
        if self._hurried:  # read after the encoder was set: hurry() from another thread misses neither
            encoder.hurry()

    def hurry(self) -> None:
        """After the loop's last tick: the encoder drains at a share of the CPU (:meth:`EpisodeEncoder.hurry`)."""
        self._hurried = True
        if self._encoder is not None:
            self._encoder.hurry()

    async def prepare(self) -> None:
        """Open the encoder before the episode's first tick: codec start-up (SVT-AV1 allocates and starts tens of
        threads) then costs no tick its deadline. Raises an EncoderError naming the stream."""
        if self.as_images or self._encoder is not None:
            return
        try:
            await anyio.to_thread.run_sync(self._open, limiter=self.limiter)
        except Exception as exc:
            raise EncoderError(self.camera, self.stream.name, f"{type(exc).__name__}: {exc}") from exc

    def _encode_batch(self, items: list[QueuedFrame]) -> None:
        with encoding_in_background():  # below the loop and the camera readers (see lerec.encoding.realtime)
            for item in items:
                self._encode(item)

    def _finish(self) -> None:
        with encoding_in_background():
            self._encoder.finish()

    def _encode(self, item: QueuedFrame) -> None:
        image = self.backlog.load(item)
        if self.as_images:
            if self.stream.kind == "depth" and image.dtype.kind == "f":
                image = np.rint(image * 1000.0).astype(np.uint16)  # PNG holds integers: metres to mm
            self.stats.add(image)
            self.pngs.append(encode_png(image))
            return
        if self._encoder is None:
            self._open()
        if self.stream.kind == "depth":
            if image.ndim == 3:
                image = image[..., 0]
            self.stats.add(image)
            if not isinstance(self.config, DepthEncoderConfig):
                raise EncoderConfigError(f"{self.camera}: depth stream {self.stream.name!r} needs a DepthEncoderConfig, "
                                         f"got {type(self.config).__name__}")
            image = quantize_depth(image, self.config)
        else:
            self.stats.add(image)
        if image.shape[:2] != (self.stream.height, self.stream.width):
            raise ValueError(
                f"frame {item.index} is {image.shape[1]}x{image.shape[0]}, the stream declared "
                f"{self.stream.width}x{self.stream.height}"
            )
        self._encoder.encode(image)

    async def run(self) -> None:
        """Encode until the backlog is closed and empty. Raises an EncoderError naming the stream (and, for a
        full disk, the file)."""
        try:
            while (item := await self.backlog.get()) is not None:
                # Every frame already waiting goes to the worker in one call: no loop round trip per frame.
                batch = [item, *self.backlog.take_ready(BATCH_FRAMES - 1)]
                await anyio.to_thread.run_sync(self._encode_batch, batch, limiter=self.limiter)
                self.encoded += len(batch)
                self.lag_s = (time.monotonic_ns() - batch[-1].tick_ns) / 1e9
            self.frames_encoded.set()
            if self._encoder is not None:  # the flush waits on the codec's own threads: it takes no feeding slot
                await anyio.to_thread.run_sync(self._finish)
        except Exception as exc:
            disk = disk_error(self.video_path, exc, RESUME_HINT)
            self._error = EncoderError(self.camera, self.stream.name,
                                         str(disk) if disk else f"{type(exc).__name__}: {exc}")
            self._done.set()
            raise self._error from exc
        self._done.set()  # not when cancelled: whoever waits for the result is cancelled with it

    def stats_result(self) -> Stats:
        """The statistics of the frames encoded so far (all of them once ``frames_encoded`` is set)."""
        unit = "mm" if self.as_images and self.stream.kind == "depth" else self.stream.depth_unit
        return self.stats.result(unit)

    async def result(self) -> EpisodeVideo | EpisodeImages:
        """Wait for the encoding to end; the episode's video (or images) and statistics."""
        await self._done.wait()
        if self._error is not None:
            raise self._error
        self.backlog.discard()
        if self.as_images:
            return EpisodeImages(self.pngs, self.stats_result())
        return EpisodeVideo(self.video_path, self.stats_result())

    def abort(self) -> None:
        """Forget this episode's frames and files (after an error)."""
        self.backlog.discard()
        if self._encoder is not None:
            self._encoder.abort()
        self.video_path.unlink(missing_ok=True)
