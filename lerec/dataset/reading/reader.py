"""Reading a LeRobot v3.0 dataset (written by lerec or by LeRobot): rows, RGB frames, depth frames.

Frame ``i`` of episode ``e`` of a video feature is the frame at ``from_timestamp + i / fps`` in the episode's MP4.
Decoders stay open per file (:class:`DecoderCache`), so random access costs a seek to the nearest keyframe and
the frames up to the one asked; reading forward decodes each frame once. No torch: everything is numpy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from lerec.dataset.reading.depth_frames import DepthSettings, depth_from_codes
from lerec.dataset.reading.images import image_from_cell
from lerec.dataset.reading.remote import dataset_root
from lerec.dataset.reading.rows import RowFile
from lerec.dataset.reading.video_decoder import (
    DEFAULT_TOLERANCE_S,
    DecoderCache,
    FrameMissingError,
)
from lerec.dataset.sensors.sensor_store import StreamDecl, load_declared
from lerec.dataset.sensors.sensor_streams import SensorStreams
from lerec.dataset.spec import checksums
from lerec.dataset.spec import format as fmt
from lerec.dataset.store.metadata import DatasetMeta, stats_file_problem
from lerec.encoding.realtime import usable_cores
from lerec.errors import DatasetError

log = logging.getLogger(__name__)
_WARNED: set[str] = set()


def _default_decode_threads(meta: DatasetMeta) -> int:
    """One thread per video stream (at most 8) when there is more than one core: a decoder waits for none.
    Measured on 2 cores, 3 VGA AV1 streams: 3.2–3.7 ms a random item with 3 threads, 4.2–4.7 ms with 2."""
    return max(1, min(len(meta.video_keys), 8)) if usable_cores() > 1 else 1


class DatasetReader:
    """A dataset opened for reading. RGB frames come back as uint8 H×W×3, depth as H×W×1 in
    ``depth_output_unit`` (uint16 mm or float32 m; 0 where the sensor had no data). ``decode_threads`` streams
    of one item are decoded side by side (1 = in the calling thread). Use one reader per process or thread.
    ``root`` may be a Hub dataset ``ORG/NAME`` (at ``revision``, default v3.0), downloaded as LeRobot does."""

    def __init__(self, root: str | Path, depth_output_unit: Literal["mm", "m"] = "mm", *, max_open_videos: int = 32,
                 tolerance_s: float = DEFAULT_TOLERANCE_S, decode_threads: int | None = None,
                 revision: str | None = None):
        if depth_output_unit not in ("mm", "m"):
            raise DatasetError(f"depth_output_unit={depth_output_unit!r}: must be 'mm' or 'm'")
        self.root = dataset_root(root, revision)  # a Hub repo id ORG/NAME is downloaded, unless a path exists
        self.meta = DatasetMeta.load(self.root)
        stats_problem = stats_file_problem(self.root)
        if stats_problem is not None and stats_problem not in _WARNED:  # once: a tool opens a source twice
            _WARNED.add(stats_problem)  # frames and rows do not need it; merge and edit write theirs anew
            log.warning("%s (LeRobot's training normalizes with it; `lerec edit` and `lerec merge` write a new one "
                        "from meta/episodes' statistics)", stats_problem)
        self.depth_output_unit = depth_output_unit
        self.tolerance_s = tolerance_s
        self.decoders = DecoderCache(max_open_videos)
        self.decode_threads = decode_threads if decode_threads is not None else _default_decode_threads(self.meta)
        self._pool: ThreadPoolExecutor | None = None
        self._row_files: dict[fmt.FileAddress, RowFile] = {}
        self._checksums: dict[str, checksums.FileChecksum] | None = None
        self._verified: set[Path] = set()
        self._starts = np.array([r.dataset_from_index for r in self.meta.episodes], dtype=np.int64)
        self._depth = {k: DepthSettings.from_info(self.features[k].get("info") or {}) for k in self.depth_keys}
        self._sensor_streams: SensorStreams | None = None

    # --- what the dataset holds -------------------------------------------------------------------------------
    @property
    def fps(self) -> int:
        return self.meta.fps

    @property
    def features(self) -> dict[str, dict[str, Any]]:
        return self.meta.features

    @property
    def tasks(self) -> list[str]:
        return self.meta.tasks

    @property
    def episodes(self) -> list[fmt.EpisodeRow]:
        """The episode rows of ``meta/episodes`` (index, tasks, length, file locations, statistics)."""
        return self.meta.episodes

    @property
    def num_episodes(self) -> int:
        return len(self.meta.episodes)

    @property
    def num_frames(self) -> int:
        return sum(r.length for r in self.meta.episodes)

    @property
    def video_keys(self) -> list[str]:
        return self.meta.video_keys

    @property
    def depth_keys(self) -> list[str]:
        return [k for k in self.video_keys if fmt.is_depth_feature(self.features[k])]

    @property
    def image_keys(self) -> list[str]:
        return [k for k, f in self.features.items() if f["dtype"] == "image"]

    def episode(self, e: int) -> fmt.EpisodeRow:
        if not 0 <= e < self.num_episodes:
            raise DatasetError(f"{self.root}: episode {e} does not exist ({self.num_episodes} episodes)")
        return self.meta.episodes[e]

    def length(self, e: int) -> int:
        return self.episode(e).length

    def video_path(self, e: int, key: str) -> Path:
        return self.meta.video_file(key, self.episode(e))

    def data_path(self, e: int) -> Path:
        return self.meta.data_file(self.episode(e))

    def locate(self, index: int) -> tuple[int, int]:
        """(episode, frame) of a global frame index."""
        e = int(np.searchsorted(self._starts, index, side="right")) - 1
        if e < 0 or index < 0 or index >= self.meta.episodes[e].dataset_to_index:
            raise DatasetError(f"{self.root}: frame index {index} is out of range ({self.num_frames} frames)")
        return e, index - int(self._starts[e])

    # --- sensor streams (lerec's own: :mod:`lerec.dataset.sensors.sensor_streams`) ------------------------------------
    @property
    def sensor_streams(self) -> dict[str, StreamDecl]:
        """The sensor streams the dataset records (IMUs, microphones, ...), by key."""
        return self._sensors().streams

    def stream(self, e: int, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Episode ``e`` of sensor stream ``name`` (its key or its sensor's name): capture times as int64 ns after
        the episode's first tick (frame 0), and values ``[n, channels]``."""
        self.episode(e)
        return self._sensors().stream(e, name)

    def window(self, index: int, name: str, before_s: float, after_s: float) -> tuple[np.ndarray, np.ndarray]:
        """The samples of sensor stream ``name`` captured from ``before_s`` before to ``after_s`` after the frame
        at global ``index`` (its tick, ``frame / fps``): times relative to the episode's first tick, values."""
        e, i = self.locate(index)
        at_ns = i * 1_000_000_000 // self.fps
        return self._sensors().window(e, name, at_ns, int(round(before_s * 1e9)), int(round(after_s * 1e9)))

    def _sensors(self) -> SensorStreams:
        if self._sensor_streams is None:
            self._sensor_streams = SensorStreams(self.root, load_declared(self.root), int(self.meta.info["chunks_size"]))
        return self._sensor_streams

    # --- rows ---------------------------------------------------------------------------------------------------
    def _row_file(self, e: int) -> RowFile:
        loc = self.episode(e).data
        if loc not in self._row_files:
            self._row_files[loc] = RowFile(self.data_path(e), self.features)
        return self._row_files[loc]

    def _span(self, e: int, start: int, stop: int | None) -> tuple[int, int]:
        length = self.length(e)
        stop = length if stop is None else stop
        if not 0 <= start <= stop <= length:
            raise DatasetError(f"{self.root}: frames {start}..{stop} are outside episode {e} (length {length})")
        return start, stop

    def rows(self, e: int, start: int = 0, stop: int | None = None) -> dict[str, Any]:
        """Parquet columns of frames ``start..stop-1`` of episode ``e`` (image cells left as stored)."""
        start, stop = self._span(e, start, stop)
        base = self.episode(e).dataset_from_index
        rows = self._row_file(e)
        return rows.take(rows.positions(base + start, base + stop))

    def committed_checksum(self, path: Path) -> checksums.FileChecksum | None:
        """The checksum info.json committed for the dataset's file at ``path`` (None: the dataset has none)."""
        if self._checksums is None:
            self._checksums = checksums.committed(self.meta.info) or {}
        return self._checksums.get(path.relative_to(self.root).as_posix())

    def verify_file(self, path: Path) -> None:
        """A DatasetError when the dataset's file at ``path`` is not as committed (each file checked once)."""
        if path not in self._verified:
            checksums.verify(path, self.committed_checksum(path))
            self._verified.add(path)

    def carried_rows(self, e: int) -> pa.Table:
        """The columns of episode ``e``'s rows that lerec carries as they are (:attr:`RowFile.carried`)."""
        base, rows = self.episode(e).dataset_from_index, self._row_file(e)
        return rows.carried.take(pa.array(rows.positions(base, base + self.length(e))))

    def row(self, e: int, i: int) -> dict[str, Any]:
        return {k: v[0] for k, v in self.rows(e, i, i + 1).items()}

    # --- frames -------------------------------------------------------------------------------------------------
    def _times(self, e: int, key: str, indices: Iterable[int]) -> list[float]:
        start = self.episode(e).videos[key].from_timestamp
        return [start + i / self.fps for i in indices]

    def _video_job(self, e: int, key: str, indices: list[int]) -> Callable[[], list[np.ndarray]]:
        """The decoding of frames ``indices`` of one stream, as a call that may run on a worker thread."""
        depth = key in self._depth
        decoder = self.decoders.get(self.video_path(e, key), "gray12le" if depth else "rgb24")
        return lambda: self._decode(decoder, e, key, indices)

    def _decode(self, decoder, e: int, key: str, indices: list[int]) -> list[np.ndarray]:
        depth = key in self._depth
        try:
            frames = decoder.frames_at(self._times(e, key, indices), self.tolerance_s)
        except FrameMissingError as exc:
            start = self.episode(e).videos[key].from_timestamp
            i = int(round((exc.time_s - start) * self.fps))
            raise DatasetError(f"episode {e} stream {key} frame {i}: {exc}") from None
        if depth:
            frames = [depth_from_codes(f, self._depth[key], self.depth_output_unit)[..., None] for f in frames]
        return frames

    def _image(self, key: str, cell: Any) -> np.ndarray:
        image = image_from_cell(cell)
        feature = self.features[key]
        if not fmt.is_depth_feature(feature):
            return image
        stored = (feature.get("info") or {}).get("depth_unit") or ("m" if image.dtype.kind == "f" else "mm")
        if stored == "mm" and self.depth_output_unit == "m":
            image = (image / 1000.0).astype(np.float32)
        elif stored == "m" and self.depth_output_unit == "mm":
            image = np.rint(np.clip(image, 0, 65.535) * 1000).astype(np.uint16)
        return image.reshape(image.shape[:2] + (1,))

    def frames(self, e: int, start: int = 0, stop: int | None = None, keys: Iterable[str] | None = None
               ) -> dict[str, np.ndarray]:
        """Frames ``start..stop-1`` of episode ``e`` per stream, stacked as (N, H, W, C)."""
        start, stop = self._span(e, start, stop)
        stacked = {}
        for key, frames in self._streams(e, list(range(start, stop)), keys).items():
            stacked[key] = np.stack(frames) if frames else np.empty((0,))
        return stacked

    def frame(self, e: int, i: int, keys: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        """Frame ``i`` of episode ``e`` of every stream (or of ``keys``)."""
        self._span(e, i, i + 1)
        return {key: frames[0] for key, frames in self._streams(e, [i], keys).items()}

    def _streams(self, e: int, indices: list[int], keys: Iterable[str] | None) -> dict[str, list[np.ndarray]]:
        keys = self._keys(keys)
        out: dict[str, list[np.ndarray]] = {}
        jobs = {}
        for key in keys:
            if key in self.image_keys:
                cells = self.rows(e, indices[0], indices[-1] + 1)[key] if indices else []
                out[key] = [self._image(key, c) for c in cells]
            else:
                jobs[key] = self._video_job(e, key, indices)
        # Streams live in different files: decode them side by side (PyAV releases the GIL while decoding).
        if len(jobs) > 1 and self.decode_threads > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.decode_threads, thread_name_prefix="lerec-decode")
            futures = {key: self._pool.submit(job) for key, job in jobs.items()}
            wait(futures.values())  # every decoder is idle again before an error is raised
            out.update({key: future.result() for key, future in futures.items()})
        else:
            out.update({key: job() for key, job in jobs.items()})
        return {key: out[key] for key in keys}

    def frame_at(self, e: int, timestamp: float, keys: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        """The frames at ``timestamp`` seconds from the start of episode ``e`` (a multiple of 1/fps)."""
        i = int(round(timestamp * self.fps))
        if abs(i / self.fps - timestamp) > self.tolerance_s:
            raise DatasetError(f"episode {e}: no frame at {timestamp} s (frames are every 1/{self.fps} s)")
        return self.frame(e, i, keys)

    def item(self, index: int) -> dict[str, Any]:
        """Global frame ``index`` as a training sample: its row, every stream's frame and its task string."""
        e, i = self.locate(index)
        sample = self.row(e, i)
        sample.update(self.frame(e, i))
        task_index = sample.get(fmt.TASK_INDEX)
        if task_index is not None and 0 <= int(task_index) < len(self.tasks):
            sample[fmt.TASK] = self.tasks[int(task_index)]
        return sample

    def _keys(self, keys: Iterable[str] | None) -> list[str]:
        streams = self.video_keys + self.image_keys
        if keys is None:
            return streams
        keys = list(keys)
        unknown = [k for k in keys if k not in streams]
        if unknown:
            raise DatasetError(f"{self.root}: no stream {unknown[0]!r}; streams are {streams}")
        return keys

    def __len__(self) -> int:
        return self.num_frames

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.item(int(index))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self.decoders.close()

    def __enter__(self) -> DatasetReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
