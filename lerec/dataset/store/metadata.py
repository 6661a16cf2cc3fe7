"""A dataset's ``meta/``: info.json, tasks, episode rows and statistics, loaded and saved."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa

from lerec.dataset.spec import checksums
from lerec.dataset.spec import format as fmt
from lerec.dataset.spec import layout
from lerec.dataset.spec.bounds import check_episode_rows, check_info_sizes
from lerec.dataset.spec.features import DEFAULT_FEATURES
from lerec.dataset.spec.meta_schema import (
    check_episode_indices,
    check_episodes_table,
    check_info,
    check_tasks_table,
    read_json,
    read_parquet,
)
from lerec.dataset.spec.stats import Stats, StatsTotal, stats_to_json
from lerec.dataset.store.atomic import write_json_atomically
from lerec.dataset.store.tables import append_episode_row, episodes_table, tasks_table, write_parquet
from lerec.errors import DatasetError

log = logging.getLogger(__name__)
_WARNED: set[tuple[Path, int, int]] = set()


def new_info(fps: int, features: Mapping[str, Any], robot_type: str | None, use_videos: bool) -> dict[str, Any]:
    return {
        "codebase_version": fmt.CODEBASE_VERSION,
        "robot_type": robot_type,
        "total_episodes": 0,
        "total_frames": 0,
        "total_tasks": 0,
        "chunks_size": fmt.CHUNKS_SIZE,
        "data_files_size_in_mb": fmt.DATA_FILES_SIZE_MB,
        "video_files_size_in_mb": fmt.VIDEO_FILES_SIZE_MB,
        "fps": int(fps),
        "splits": {},
        "data_path": fmt.DATA_PATH,
        "video_path": fmt.VIDEO_PATH if use_videos else None,
        "features": {**dict(features), **DEFAULT_FEATURES},
        fmt.CHECKSUMS: {},
    }


def read_info(root: Path) -> dict[str, Any]:
    """The dataset's ``meta/info.json``, checked (schema, paths inside ``root``) without reading the rest."""
    path = layout.confine(root, fmt.INFO_PATH)
    if not path.exists():
        raise DatasetError(f"{root} is not a dataset: {fmt.INFO_PATH} is missing")
    info = check_info(read_json(path), path)
    layout.check_info_paths(info, path)
    return info


def stats_file_problem(root: Path) -> str | None:
    """What is wrong with the dataset's ``meta/stats.json`` (missing, not JSON, not an object of features)."""
    try:
        stats = read_json(layout.confine(root, fmt.STATS_PATH))
    except DatasetError as exc:
        return str(exc)
    if not isinstance(stats, dict) or not all(isinstance(v, dict) for v in stats.values()):
        return f"{root / fmt.STATS_PATH} is not a JSON object of features' statistics"
    return None


def update_feature_info(root: Path, updates: Mapping[str, Mapping[str, Any]], written: Iterable[Path] = ()) -> None:
    """Merge ``updates[key]`` into the ``info`` block of each feature ``key``, renew the checksums of the files
    ``written`` and replace info.json atomically."""
    info = read_info(root)
    for key, update in updates.items():
        info["features"][key].setdefault("info", {}).update(update)
    checksums.refresh(root, info, written)
    write_json_atomically(layout.confine(root, fmt.INFO_PATH), info)


def check_dataset_folder(root: str | os.PathLike) -> Path:
    """``root`` as a Path if it is a folder; else a DatasetError saying it does not exist or is a file."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root} {'is a file, not a dataset folder' if root.exists() else 'does not exist'}")
    return root


@attrs.define
class DatasetMeta:
    """Everything under ``meta/``, in memory. ``episodes`` are the episode rows (with ``stats/...`` columns)."""

    root: Path
    info: dict[str, Any]
    tasks: list[str] = attrs.field(factory=list)
    episodes: list[fmt.EpisodeRow] = attrs.field(factory=list)
    # The types of the episode-row columns that the format does not define, as the files had them.
    extra_types: dict[str, pa.DataType] = attrs.field(factory=dict, init=False, repr=False)
    _episode_tables: dict[tuple[int, int], pa.Table] = attrs.field(factory=dict, init=False, repr=False)
    _stats_total: tuple[int, StatsTotal] | None = attrs.field(default=None, init=False, repr=False)
    _confined: dict[str, Path] = attrs.field(factory=dict, init=False, repr=False)
    # The meta files written since info.json was last saved: their checksums are renewed when it is.
    _written: set[Path] = attrs.field(factory=set, init=False, repr=False)

    @classmethod
    def load(cls, root: str | Path, *, uncommitted: bool = False) -> DatasetMeta:
        """The metadata of the dataset at ``root``, checked (:mod:`lerec.dataset.spec.meta_schema`) so that every path
        it leads to is inside ``root`` and every size it claims is bounded by the files
        (:mod:`lerec.dataset.spec.bounds`).
        Episode rows and tasks past info.json's ``total_episodes`` and ``total_tasks`` (what an interrupted save
        leaves, and ``--resume`` cuts) are left out unless ``uncommitted``; fewer than those totals is an error."""
        root = check_dataset_folder(root)
        info_path = layout.confine(root, fmt.INFO_PATH)
        if not info_path.exists():
            raise DatasetError(f"{root} is not a dataset: {fmt.INFO_PATH} is missing")
        info = read_json(info_path)
        if isinstance(info, dict) and info.get("codebase_version") != fmt.CODEBASE_VERSION:
            raise DatasetError(f"{info_path}: codebase_version {info.get('codebase_version')!r}, expected v3.0")
        info = check_info(info, info_path)
        layout.check_info_paths(info, info_path)
        check_info_sizes(info, str(info_path))
        tasks_path = layout.confine(root, fmt.TASKS_PATH)
        tasks = check_tasks_table(read_parquet(tasks_path), tasks_path)
        video_keys = [k for k, f in info["features"].items() if f["dtype"] == "video"]
        rows: list[dict[str, Any]] = []
        extra_types: dict[str, pa.DataType] = {}
        for path in layout.find(root, fmt.EPISODES_FILES):
            table = read_parquet(path)
            rows.extend(check_episodes_table(table, path, video_keys))
            for field in table.schema:
                if not fmt.is_format_column(field.name, video_keys):
                    extra_types.setdefault(field.name, field.type)
        rows.sort(key=lambda row: row[fmt.EPISODE_INDEX])
        check_episode_indices(rows, root / fmt.EPISODES_DIR)
        episodes = [fmt.EpisodeRow.from_row(row, video_keys) for row in rows]
        committed, committed_tasks = info["total_episodes"], info["total_tasks"]
        if len(episodes) < committed:
            raise DatasetError(f"{root / fmt.EPISODES_DIR}: {len(episodes)} episode rows, but {fmt.INFO_PATH} "
                               f"total_episodes is {committed}")
        if len(tasks) < committed_tasks:
            raise DatasetError(f"{root / fmt.TASKS_PATH}: {len(tasks)} tasks, but {fmt.INFO_PATH} "
                               f"total_tasks is {committed_tasks}")
        if not uncommitted and (len(episodes) > committed or len(tasks) > committed_tasks):
            ignored = (root.resolve(), len(episodes) - committed, len(tasks) - committed_tasks)
            if ignored not in _WARNED:  # once per process: a tool opens a dataset more than once
                _WARNED.add(ignored)
                log.warning("%s: ignoring %d episode(s) and %d task(s) past %s's totals, left by an unfinished "
                            "save (`lerec record --resume` removes them)", root, *ignored[1:], fmt.INFO_PATH)
            episodes, tasks = episodes[:committed], tasks[:committed_tasks]
        meta = cls(root, info, tasks, episodes)
        meta.extra_types.update(extra_types)
        check_episode_rows(meta, str(root / fmt.EPISODES_DIR))
        frames = sum(int(row[fmt.LENGTH]) for row in episodes[:committed])
        if not uncommitted and frames != info["total_frames"]:  # validate and resume report it themselves
            raise DatasetError(f"{info_path}: total_frames is {info['total_frames']}, but its {committed} "
                               f"episodes hold {frames} frames")
        return meta

    def path(self, relative: str) -> Path:
        """``root / relative``, confined to the root (:func:`lerec.dataset.spec.layout.confine`). Checked once per
        path: resolving one costs ~0.1-0.3 ms, as much as decoding a small frame."""
        path = self._confined.get(relative)
        if path is None:
            path = self._confined[relative] = layout.confine(self.root, relative)
        return path

    @property
    def unsaved(self) -> bool:
        """Whether meta files were written since info.json was last saved."""
        return bool(self._written)

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

    def episode_stats(self, row: fmt.EpisodeRow) -> dict[str, Stats]:
        return row.feature_stats()

    def video_file(self, key: str, row: fmt.EpisodeRow) -> Path:
        """The MP4 holding episode ``row``'s video of feature ``key`` (KeyError: the row has none)."""
        return self.path(row.videos[key].address.video_path(key, self.info["video_path"]))

    def data_file(self, row: fmt.EpisodeRow) -> Path:
        """The parquet file holding episode ``row``'s frames."""
        return self.path(row.data.data_path(self.info["data_path"]))

    def task_index(self, task: str) -> int:
        """The index of ``task``, added to the task list if new."""
        if task not in self.tasks:
            self.tasks.append(task)
        return self.tasks.index(task)

    def save_episodes_file(self, chunk_index: int, file_index: int, appended: fmt.EpisodeRow | None = None) -> None:
        """Write one ``meta/episodes`` file; with ``appended``, only that new row is converted to arrow."""
        key = (chunk_index, file_index)
        address = fmt.FileAddress(chunk_index, file_index)
        cached = self._episode_tables.get(key)
        if appended is not None and cached is not None:
            table = append_episode_row(cached, appended.to_row(), self.extra_types)
        else:
            rows = [r.to_row() for r in self.episodes if r.episodes == address]
            path = self.path(address.episodes_path())
            if not rows:  # its episodes were cut (a repair): no file rather than an empty one
                self._episode_tables.pop(key, None)
                path.unlink(missing_ok=True)
                self._written.add(path)
                return
            table = episodes_table(rows, self.extra_types)
        self._episode_tables[key] = table
        write_parquet(self.path(address.episodes_path()), table)
        self._written.add(self.path(address.episodes_path()))

    def write_episodes_file(self, address: fmt.FileAddress, rows: list[Mapping[str, Any]]) -> pa.Table:
        """Write ``rows`` (not kept in ``episodes``: a dataset being assembled) as the meta/episodes file at
        ``address``; returns the table written."""
        table = episodes_table(rows, self.extra_types)
        write_parquet(self.path(address.episodes_path()), table)
        self._written.add(self.path(address.episodes_path()))
        return table

    def replace_episodes_table(self, address: fmt.FileAddress, table: pa.Table) -> None:
        """Write ``table`` (the file's rows with some columns changed: labels) as the meta/episodes file at
        ``address``, and append the next rows to it."""
        write_parquet(self.path(address.episodes_path()), table)
        self._episode_tables[(address.chunk, address.file)] = table
        self._written.add(self.path(address.episodes_path()))

    def rewrite_episodes_file(self, address: fmt.FileAddress, columns: Mapping[str, pa.DataType | None]) -> None:
        """Rewrite the meta/episodes file at ``address`` with ``columns`` in that order, null where it has none."""
        path = self.path(address.episodes_path())
        table = read_parquet(path)
        arrays = [table.column(c) if c in table.column_names else pa.nulls(table.num_rows, type_ or pa.null())
                  for c, type_ in columns.items()]
        write_parquet(path, pa.Table.from_arrays(arrays, names=list(columns)))
        self._written.add(path)

    def save_tasks(self) -> None:
        write_parquet(self.path(fmt.TASKS_PATH), tasks_table(self.tasks))
        self._written.add(self.path(fmt.TASKS_PATH))

    def save_stats(self, only_if_changed: bool = False, total: StatsTotal | None = None) -> None:
        """Write stats.json, aggregated over the episode rows: those added since the last call are folded into
        a running total; rows dropped or replaced since then (a repair) make it start over. ``only_if_changed``:
        leave the file alone when it already holds them. ``total``: the episodes' aggregate instead of the rows'
        (a dataset assembled without keeping its rows)."""
        if total is None:
            folded, total = self._stats_total or (0, StatsTotal())
            if folded > len(self.episodes) \
                    or any(r.index != i for i, r in enumerate(self.episodes[:folded])):
                folded, total = 0, StatsTotal()
            for row in self.episodes[folded:]:
                total.add(self.episode_stats(row))
            self._stats_total = (len(self.episodes), total)
        stats = stats_to_json(total.result())
        path = self.path(fmt.STATS_PATH)
        if only_if_changed and path.exists():
            try:
                if json.loads(path.read_text()) == json.loads(json.dumps(stats)):
                    return
            except ValueError:
                pass
        write_json_atomically(path, stats)
        self._written.add(path)

    def save_info(self, totals: tuple[int, int] | None = None, written: Iterable[Path] = (),
                  appended: Iterable[Path] = ()) -> None:
        """Write info.json with totals from the episode rows, or ``totals`` (episodes, frames) of a dataset
        assembled without keeping its rows, and the checksums of the meta files saved since, of the data and
        video files ``written`` and of the videos ``appended`` to. Written last: it is what commits an episode."""
        episodes, frames = totals or (len(self.episodes), sum(r.length for r in self.episodes))
        self.info["total_episodes"] = episodes
        self.info["total_frames"] = frames
        self.info["total_tasks"] = len(self.tasks)
        self.info["splits"] = {"train": f"0:{episodes}"}
        checksums.refresh(self.root, self.info, [*self._written, *written], appended)
        write_json_atomically(self.path(fmt.INFO_PATH), self.info)
        self._written.clear()
