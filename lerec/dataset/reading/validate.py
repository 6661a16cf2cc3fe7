"""Checking that a dataset is sound: rows, videos, totals and statistics agree, frame by frame.

The silent failure this exists for: a video that lost a frame still loads, and every later frame of its episode
is shown one tick early. So every row's time (``from_timestamp + i / fps``) must hold exactly one frame in every
video, and no frame may sit where no row is.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import av
import numpy as np
import pyarrow.parquet as pq

from lerec.dataset.reading.rows import RowFile
from lerec.dataset.reading.video_decoder import DEFAULT_TOLERANCE_S
from lerec.dataset.sensors.sensor_check import sensor_problems
from lerec.dataset.spec import checksums
from lerec.dataset.spec import format as fmt
from lerec.dataset.spec import layout
from lerec.dataset.spec.features import DEFAULT_FEATURES, declared_frame_size
from lerec.dataset.spec.meta_schema import read_json
from lerec.dataset.spec.stats import aggregate_stats, numeric_stats
from lerec.dataset.store.metadata import DatasetMeta
from lerec.dataset.store.unfinished import REPAIR_HINT, damaged_videos, unfinished_save
from lerec.errors import DatasetError

ProgressFn = Callable[[int], None]


@attrs.define(frozen=True)
class Problem:
    """One thing wrong, located as precisely as it can be."""

    message: str
    episode: int | None = None
    stream: str | None = None
    frame: int | None = None

    def __str__(self) -> str:
        where = []
        if self.episode is not None:
            where.append(f"episode {self.episode}")
        if self.stream is not None:
            where.append(f"stream {self.stream}")
        if self.frame is not None:
            where.append(f"frame {self.frame}")
        return (" ".join(where) + ": " if where else "") + self.message


def frame_times(path: str | os.PathLike, decode: bool = False) -> np.ndarray:
    """Presentation times (s) of every frame of an MP4, sorted: from packets, or from decoded frames."""
    times = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tb = float(stream.time_base)
        if decode:
            times = [f.pts * tb for f in container.decode(stream) if f.pts is not None]
        else:
            times = [p.pts * tb for p in container.demux(stream) if p.pts is not None and p.size]
    return np.sort(np.asarray(times, dtype=np.float64))


class Validator:
    """Collects :class:`Problem` s of the dataset at ``root``; ``run()`` returns them (empty = sound)."""

    def __init__(self, root: str | Path, *, decode: bool = False, tolerance_s: float = DEFAULT_TOLERANCE_S,
                 progress: ProgressFn | None = None):
        self.root = Path(root)
        self.decode = decode
        self.tolerance_s = tolerance_s
        self.progress = progress or (lambda n: None)
        self.problems: list[Problem] = []
        self.notes: list[str] = []  # what was not checked, and why (a dataset without checksums)

    def add(self, message: str, episode: int | None = None, stream: str | None = None, frame: int | None = None):
        self.problems.append(Problem(message, episode, stream, frame))

    def work(self) -> int:
        """Units of work ``run`` reports to ``progress`` (files checked)."""
        try:
            meta = DatasetMeta.load(self.root, uncommitted=True)
        except Exception:
            return 1
        return len(self._data_files(meta)) + sum(len(self._video_files(meta, k)) for k in meta.video_keys) + 1

    def run(self) -> list[Problem]:
        try:
            meta = DatasetMeta.load(self.root, uncommitted=True)
        except DatasetError as exc:
            self.add(f"metadata cannot be loaded: {exc}")
            return self.problems
        unfinished = unfinished_save(self.root, meta)
        if unfinished:  # one cause for every mismatch it makes
            self.add(f"an unfinished save ({'; '.join(unfinished)}); {REPAIR_HINT}")
            return self.problems
        self._check_checksums(meta)
        self._check_meta(meta)
        self._check_rows(meta)
        for key in meta.video_keys:
            self._check_videos(meta, key)
        self._check_stats(meta)
        for message, episode, stream in sensor_problems(self.root, meta, self.decode):  # lerec's own streams
            self.add(message, episode, stream)
        self.progress(1)
        return self.problems

    # --- meta/ ----------------------------------------------------------------------------------------------
    def _check_meta(self, meta: DatasetMeta) -> None:
        info, episodes = meta.info, meta.episodes  # numbered 0..N-1: DatasetMeta.load checks it
        expected = 0
        for row in episodes:
            e, length = row.index, row.length
            start, stop = row.dataset_from_index, row.dataset_to_index
            if start != expected or stop - start != length:
                self.add(f"global rows {start}..{stop} for length {length}, expected to start at {expected}", e)
            expected = start + length
            for task in row.tasks or ():
                if task not in meta.tasks:
                    self.add(f"task {task!r} is not in meta/tasks.parquet", e)
        totals = {"total_episodes": len(episodes), "total_frames": sum(r.length for r in episodes),
                  "total_tasks": len(meta.tasks)}
        for name, value in totals.items():
            if int(info.get(name, -1)) != value:
                self.add(f"{fmt.INFO_PATH} {name} is {info.get(name)}, the data has {value}")
        self._check_episodes_columns()

    def _check_episodes_columns(self) -> None:
        """Every meta/episodes file has the same columns: LeRobot 0.6.1 takes them from the first file and
        fails on a file that has another one or lacks one."""
        files = layout.find(self.root, fmt.EPISODES_FILES)
        first = set(pq.read_schema(files[0]).names) if files else set()
        for path in files[1:]:
            names = set(pq.read_schema(path).names)
            missing, extra = sorted(first - names), sorted(names - first)
            if missing or extra:
                what = f"lacks the column {missing[0]!r}" if missing else f"has a column {extra[0]!r}"
                self.add(f"{path.relative_to(self.root)} {what} unlike {files[0].relative_to(self.root)} "
                         "(LeRobot 0.6.1 cannot load such episodes)")

    # --- checksums ------------------------------------------------------------------------------------------
    def _check_checksums(self, meta: DatasetMeta) -> None:
        """Every file holds the bytes info.json committed (a dataset without checksums: cut fragments only)."""
        cut = damaged_videos(self.root, meta)
        for episode, message in cut:
            self.add(message, episode)
        try:
            committed = checksums.committed(meta.info)
        except DatasetError as exc:
            self.add(str(exc))
            return
        if committed is None:
            self.notes.append(f"no checksums ({fmt.INFO_PATH} has no {fmt.CHECKSUMS}: written before lerec kept "
                              "them, or rewritten by another tool); --decode finds damage in the videos")
            return
        stray = layout.sensor_files_from(self.root, int(meta.info["total_episodes"]), int(meta.info["chunks_size"]))
        for relative, message in checksums.mismatches(self.root, committed, uncommitted=stray).items():
            if any(m.startswith(f"{relative} ") for _, m in cut):
                continue  # said above, with the episode
            episodes, stream = holders(meta, relative)
            held = f" (episode {episodes[0]})" if len(episodes) == 1 else \
                f" (episodes {episodes[0]}-{episodes[-1]})" if episodes else ""
            self.add(message + held, episodes[0] if len(episodes) == 1 else None, stream)

    # --- data/ ----------------------------------------------------------------------------------------------
    def _data_files(self, meta: DatasetMeta) -> list[Path]:
        return layout.find(self.root, fmt.DATA_FILES)

    def _check_rows(self, meta: DatasetMeta) -> None:
        files: dict[Path, RowFile] = {}
        total_rows = 0
        for path in self._data_files(meta):
            try:
                files[path] = RowFile(path, meta.features)
                total_rows += len(files[path])
            except DatasetError as exc:
                self.add(str(exc))
            self.progress(1)
        if total_rows != sum(r.length for r in meta.episodes) and files:
            self.add(f"data files hold {total_rows} rows, the episodes {meta.total_frames} "
                     f"(info.json) / {sum(r.length for r in meta.episodes)} (meta/episodes)")
        fps = meta.fps
        for row in meta.episodes:
            e, length, start = row.index, row.length, row.dataset_from_index
            path = meta.data_file(row)
            if path not in files:
                if not path.exists():
                    self.add(f"data file {path.relative_to(self.root)} is missing", e)
                continue
            try:
                rows = files[path].take(files[path].positions(start, start + length))
            except DatasetError as exc:
                self.add(f"rows are not contiguous: {exc}", e)
                continue
            self._check_episode_rows(meta, e, length, rows, fps)

    def _check_episode_rows(self, meta, e: int, length: int, rows: dict[str, Any], fps: int) -> None:
        checks = {fmt.EPISODE_INDEX: np.full(length, e), "frame_index": np.arange(length)}
        for name, want in checks.items():
            got = np.asarray(rows[name])
            bad = np.flatnonzero(got != want)
            if bad.size:
                self.add(f"{name} is {got[bad[0]]}, expected {want[bad[0]]}", e, frame=int(bad[0]))
        ts = np.asarray(rows["timestamp"], dtype=np.float64)
        bad = np.flatnonzero(np.abs(ts - np.arange(length) / fps) > self.tolerance_s)
        if bad.size:
            self.add(f"timestamp is {ts[bad[0]]:.6f}, expected {bad[0] / fps:.6f}", e, frame=int(bad[0]))
        task_index = np.asarray(rows[fmt.TASK_INDEX])
        bad = np.flatnonzero((task_index < 0) | (task_index >= len(meta.tasks)))
        if bad.size:
            self.add(f"task_index {task_index[bad[0]]} is not a task", e, frame=int(bad[0]))
        row = meta.episodes[e]
        # The default columns were checked above; the others must match the episode row's statistics.
        own = [k for k, f in meta.features.items()
               if f["dtype"] not in ("video", "image", "string") and k in rows and k not in DEFAULT_FEATURES]
        for key in own:
            want = meta.episode_stats(row).get(key)
            if want is None:
                continue
            got = numeric_stats(np.asarray(rows[key], dtype=np.float64).reshape(length, -1))
            for name in ("min", "max", "mean"):
                if name in want and not np.allclose(np.ravel(want[name]), np.ravel(got[name]), rtol=1e-4, atol=1e-5):
                    self.add(f"{fmt.stats_column(key, name)} of the episode row disagree with its rows", e)

    # --- videos/ --------------------------------------------------------------------------------------------
    def _video_files(self, meta: DatasetMeta, key: str) -> list[Path]:
        return layout.find(self.root, fmt.video_files(key))

    def _check_videos(self, meta: DatasetMeta, key: str) -> None:
        fps, tol = meta.fps, self.tolerance_s
        by_file: dict[Path, list[fmt.EpisodeRow]] = {}
        for row in meta.episodes:
            try:
                path = meta.video_file(key, row)
            except (KeyError, TypeError):
                self.add("the episode row has no location for this video", row.index, key)
                continue
            by_file.setdefault(path, []).append(row)
        for path in sorted(set(by_file) | set(self._video_files(meta, key))):
            rel = path.relative_to(self.root)
            rows = by_file.get(path, [])
            if not path.exists():
                for row in rows:
                    self.add(f"video file {rel} is missing", row.index, key)
                continue
            try:
                times = frame_times(path, self.decode)
                self._check_shape(meta, key, path)
            except (av.FFmpegError, OSError, IndexError) as exc:
                self.add(f"video file {rel} cannot be read: {exc}", rows[0].index if rows else None,
                         key)
                self.progress(1)
                continue
            owner = np.full(len(times), -1, dtype=np.int64)
            for row in rows:
                e, length = row.index, row.length
                location = row.videos[key]
                start, end = location.from_timestamp, location.to_timestamp
                if abs(end - start - length / fps) > tol:
                    self.add(f"from/to_timestamp span {end - start:.6f} s for {length} frames at {fps} fps", e, key)
                want = start + np.arange(length) / fps
                if not len(times):
                    self.add(f"{rel} holds no frames", e, key, 0)
                    continue
                hi = np.clip(np.searchsorted(times, want), 0, len(times) - 1)
                lo = np.clip(hi - 1, 0, len(times) - 1)
                near = np.where(np.abs(times[lo] - want) < np.abs(times[hi] - want), lo, hi)
                missing = np.flatnonzero(np.abs(times[near] - want) > tol)
                found = near[np.abs(times[near] - want) <= tol]
                shared = np.flatnonzero(owner[found] >= 0)
                if shared.size:
                    i = int(np.flatnonzero(np.abs(times[near] - want) <= tol)[shared[0]])
                    self.add(f"the frame at {want[i]:.6f} s in {rel} also belongs to episode "
                             f"{owner[found[shared[0]]]} (episodes overlap)", e, key, i)
                owner[found] = e
                if missing.size:
                    i = int(missing[0])
                    more = f" (and {missing.size - 1} more frames)" if missing.size > 1 else ""
                    self.add(f"no frame at {want[i]:.6f} s in {rel}; nearest at {times[near[i]]:.6f} s{more}",
                             e, key, i)
                inside = np.flatnonzero((times > start - tol) & (times < end - tol))
                if inside.size > length:
                    self.add(f"{inside.size} frames in {rel} between {start:.6f} and {end:.6f} s for {length} rows",
                             e, key)
            dup = np.flatnonzero(np.diff(times) <= tol)
            if dup.size:
                self.add(f"{rel} has {dup.size} frame(s) sharing a time, first at {times[dup[0]]:.6f} s",
                         stream=key)
            extra = np.flatnonzero(owner < 0)
            if extra.size and not dup.size:
                self.add(f"{rel} holds {extra.size} frame(s) that no row shows, first at {times[extra[0]]:.6f} s",
                         stream=key)
            self.progress(1)

    def _check_shape(self, meta: DatasetMeta, key: str, path: Path) -> None:
        """The stream's size is the one info.json declares (shape and ``video.height``/``video.width``)."""
        with av.open(str(path)) as container:
            stream = container.streams.video[0].codec_context
            height, width = stream.height, stream.width
        feature = meta.features[key]
        info = feature.get("info") or {}
        declared = {"shape": declared_frame_size(feature),
                    "video.height/width": (info.get("video.height", height), info.get("video.width", width))}
        for name, size in declared.items():
            if size != (height, width):
                self.add(f"{path.relative_to(self.root)}: its frames are {height}x{width} (height x width), "
                         f"{fmt.INFO_PATH} declares {name} {size[0]}x{size[1]}", stream=key)

    # --- stats ----------------------------------------------------------------------------------------------
    def _check_stats(self, meta: DatasetMeta) -> None:
        path = meta.path(fmt.STATS_PATH)
        try:
            stored = read_json(path)
        except DatasetError as exc:
            self.add(str(exc))
            return
        if not isinstance(stored, dict):
            self.add(f"{fmt.STATS_PATH} holds a JSON {type(stored).__name__}, expected an object of features")
            return
        expected = aggregate_stats(meta.episode_stats(r) for r in meta.episodes)
        for key, stats in expected.items():
            if not isinstance(stored.get(key), dict):
                self.add(f"{fmt.STATS_PATH} has no entry for {key}" if key not in stored else
                         f"{fmt.STATS_PATH} {key} is {type(stored[key]).__name__}, expected an object of statistics")
                continue
            for name in ("min", "max", "mean", "count"):
                if name not in stats or name not in stored[key]:
                    continue
                a = np.ravel(np.asarray(stats[name], dtype=np.float64))
                try:
                    b = np.ravel(np.asarray(stored[key][name], dtype=np.float64))
                except (TypeError, ValueError):
                    self.add(f"{fmt.STATS_PATH} {key}/{name} is not a list of numbers", stream=key)
                    continue
                if a.shape != b.shape or not np.allclose(a, b, rtol=1e-3, atol=1e-6):
                    self.add(f"{fmt.STATS_PATH} {key}/{name} disagrees with the episodes' statistics", stream=key)


def holders(meta: DatasetMeta, relative: str) -> tuple[list[int], str | None]:
    """The episodes whose parts the file at ``relative`` holds (none for tasks and stats), and its stream."""
    path, video = meta.root / relative, fmt.parse_video_path(relative)

    def holds(row) -> bool:
        if video is not None:
            return meta.video_file(video[0], row) == path
        if relative.startswith(fmt.EPISODES_DIR + "/"):
            return meta.path(fmt.FileAddress.of(row, fmt.EPISODES).episodes_path()) == path
        return meta.data_file(row) == path

    try:
        return [int(r[fmt.EPISODE_INDEX]) for r in meta.episodes if holds(r)], video and video[0]
    except (KeyError, TypeError, ValueError, DatasetError):
        return [], video and video[0]


def validate(root: str | Path, *, decode: bool = False, progress: ProgressFn | None = None) -> list[Problem]:
    """Every problem found in the dataset at ``root`` (empty when it is sound)."""
    return Validator(root, decode=decode, progress=progress).run()
