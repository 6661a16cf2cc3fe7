"""A dataset's ``meta/``: info.json, tasks, episode rows and statistics, loaded and saved."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lerec.dataset import layout
from lerec.dataset.atomic import write_json_atomically
from lerec.dataset.features import DEFAULT_FEATURES
from lerec.dataset.stats import Stats, StatsTotal, stats_to_json
from lerec.dataset.tables import append_episode_row, episodes_table, read_tasks, tasks_table, write_parquet
from lerec.errors import DatasetError


def new_info(fps: int, features: Mapping[str, Any], robot_type: str | None, use_videos: bool) -> dict[str, Any]:
    return {
        "codebase_version": layout.CODEBASE_VERSION,
        "robot_type": robot_type,
        "total_episodes": 0,
        "total_frames": 0,
        "total_tasks": 0,
        "chunks_size": layout.CHUNKS_SIZE,
        "data_files_size_in_mb": layout.DATA_FILES_SIZE_MB,
        "video_files_size_in_mb": layout.VIDEO_FILES_SIZE_MB,
        "fps": int(fps),
        "splits": {},
        "data_path": layout.DATA_PATH,
        "video_path": layout.VIDEO_PATH if use_videos else None,
        "features": {**dict(features), **DEFAULT_FEATURES},
    }


@attrs.define
class DatasetMeta:
    """Everything under ``meta/``, in memory. ``episodes`` are the episode rows (with ``stats/...`` columns)."""

    root: Path
    info: dict[str, Any]
    tasks: list[str] = attrs.field(factory=list)
    episodes: list[dict[str, Any]] = attrs.field(factory=list)
    _episode_tables: dict[tuple[int, int], pa.Table] = attrs.field(factory=dict, init=False, repr=False)
    _stats_total: tuple[int, StatsTotal] | None = attrs.field(default=None, init=False, repr=False)

    @classmethod
    def load(cls, root: str | Path) -> DatasetMeta:
        root = Path(root)
        info_path = root / layout.INFO_PATH
        if not root.is_dir():
            what = "is a file, not a dataset folder" if root.exists() else "does not exist"
            raise DatasetError(f"{root} {what}")
        if not info_path.exists():
            raise DatasetError(f"{root} is not a dataset: {layout.INFO_PATH} is missing")
        info = json.loads(info_path.read_text())
        if info.get("codebase_version") != layout.CODEBASE_VERSION:
            raise DatasetError(f"{root}: codebase_version {info.get('codebase_version')!r}, expected v3.0")
        tasks_path = root / layout.TASKS_PATH
        tasks = read_tasks(tasks_path) if tasks_path.exists() else []
        episodes: list[dict[str, Any]] = []
        for path in sorted((root / "meta/episodes").glob("chunk-*/file-*.parquet")):
            episodes.extend(pq.ParquetFile(path).read().to_pylist())
        episodes.sort(key=lambda row: row["episode_index"])
        return cls(root, info, tasks, episodes)

    @property
    def fps(self) -> int:
        return int(self.info["fps"])

    @property
    def features(self) -> dict[str, dict[str, Any]]:
        return self.info["features"]

    @property
    def video_keys(self) -> list[str]:
        return [k for k, f in self.features.items() if f["dtype"] == "video"]

    @property
    def total_frames(self) -> int:
        return int(self.info["total_frames"])

    def episode_stats(self, row: Mapping[str, Any]) -> dict[str, Stats]:
        stats: dict[str, Stats] = {}
        for column, value in row.items():
            if column.startswith("stats/") and value is not None:
                feature, name = column[len("stats/") :].rsplit("/", 1)
                stats.setdefault(feature, {})[name] = np.asarray(value)
        return stats

    def video_file(self, key: str, row: Mapping[str, Any]) -> Path:
        """The MP4 holding episode ``row``'s video of feature ``key``."""
        return self.root / self.info["video_path"].format(
            video_key=key, chunk_index=int(row[f"videos/{key}/chunk_index"]),
            file_index=int(row[f"videos/{key}/file_index"]))

    def task_index(self, task: str) -> int:
        """The index of ``task``, added to the task list if new."""
        if task not in self.tasks:
            self.tasks.append(task)
        return self.tasks.index(task)

    def save_episodes_file(self, chunk_index: int, file_index: int, appended: Mapping[str, Any] | None = None) -> None:
        """Write one ``meta/episodes`` file; with ``appended``, only that new row is converted to arrow."""
        key = (chunk_index, file_index)
        cached = self._episode_tables.get(key)
        if appended is not None and cached is not None:
            table = append_episode_row(cached, appended)
        else:
            rows = [r for r in self.episodes
                    if (r["meta/episodes/chunk_index"], r["meta/episodes/file_index"]) == key]
            path = self.root / layout.EPISODES_PATH.format(chunk_index=chunk_index, file_index=file_index)
            if not rows:  # its episodes were cut (a repair): no file rather than an empty one
                self._episode_tables.pop(key, None)
                path.unlink(missing_ok=True)
                return
            table = episodes_table(rows)
        self._episode_tables[key] = table
        write_parquet(self.root / layout.EPISODES_PATH.format(chunk_index=chunk_index, file_index=file_index), table)

    def save_tasks(self) -> None:
        write_parquet(self.root / layout.TASKS_PATH, tasks_table(self.tasks))

    def save_stats(self) -> None:
        """Write stats.json, aggregated over the episode rows: those added since the last call are folded into
        a running total; rows dropped or replaced since then (a repair) make it start over."""
        folded, total = self._stats_total or (0, StatsTotal())
        if folded > len(self.episodes) or any(r["episode_index"] != i for i, r in enumerate(self.episodes[:folded])):
            folded, total = 0, StatsTotal()
        for row in self.episodes[folded:]:
            total.add(self.episode_stats(row))
        self._stats_total = (len(self.episodes), total)
        write_json_atomically(self.root / layout.STATS_PATH, stats_to_json(total.result()))

    def save_info(self) -> None:
        """Write info.json with totals from the episode rows. Written last: it is what commits an episode."""
        self.info["total_episodes"] = len(self.episodes)
        self.info["total_frames"] = sum(int(r["length"]) for r in self.episodes)
        self.info["total_tasks"] = len(self.tasks)
        self.info["splits"] = {"train": f"0:{len(self.episodes)}"}
        write_json_atomically(self.root / layout.INFO_PATH, self.info)
