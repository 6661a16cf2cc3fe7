"""What one rank does: its share of the planned episodes, each done into the rank's own staging folder.

Runs inside a datatrove worker (a pool process, a Ray actor or a Slurm task): a plain callable pipeline step
``(data, rank, world_size)``. Nothing here writes outside ``staging/rank-NNNNN/``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from lerec.dataset import format as fmt
from lerec.dataset.edit import encode_episode_streams, encode_plan
from lerec.dataset.episode_video import EpisodeVideoSource
from lerec.dataset.reader import DatasetReader
from lerec.dataset.stats import ImageStats, stats_to_json
from lerec.errors import LerecError, one_line
from lerec.jobs.plan import RESULT, JobError, WorkDir, share

PID_FILE = "pid"
FAILED_FILE = "failed"  # written before a rank's error leaves it: the executor stops the others on purpose


def stream_file(i: int) -> str:
    return f"stream-{i}.mp4"


def _reencode(reader: DatasetReader, e: int, folder: Path, settings: Mapping[str, Any], cache: dict) -> dict:
    if "plan" not in cache:
        cache["plan"] = encode_plan(reader, settings.get("rgb"), settings.get("depth"), settings.get("only"))
    streams = {}
    for i, (key, config) in enumerate(cache["plan"].items()):
        try:
            videos, facts = encode_episode_streams(reader, e, {key: config}, settings.get("encoder_threads"))
        except Exception as exc:
            raise JobError(f"stream {key}: {one_line(exc)}") from exc
        movable = videos[key]
        # init + fragment is a one-episode fragmented MP4, read back as the same fragment by the commit
        with open(folder / stream_file(i), "wb") as f:
            f.write(movable.fragment.init)
            f.write(movable.fragment.fragment)
        streams[key] = {"file": stream_file(i), "start_frame": movable.start_frame, "facts": facts[key]}
    return {"streams": streams}


def _merge(reader: DatasetReader, e: int, folder: Path, settings: Mapping[str, Any], cache: dict) -> dict:
    """Checks that every video of the episode can be moved without re-encoding (the commit moves it)."""
    source = cache.setdefault("videos", EpisodeVideoSource())
    row, length = reader.episode(e), reader.length(e)
    sizes = {}
    for key in reader.video_keys:
        movable = source.episode(reader.video_path(e, key), row.videos[key].from_timestamp, length,
                                 reader.fps)
        sizes[key] = len(movable.fragment.fragment)
    reader.rows(e)
    return {"streams": sizes}


def _validate(reader: DatasetReader, e: int, folder: Path, settings: Mapping[str, Any], cache: dict) -> dict:
    """Every frame of every stream decoded at its row's time and checked against the feature's shape."""
    problems = []
    length = reader.length(e)
    for key in [*reader.video_keys, *reader.image_keys]:
        try:
            frames = reader.frames(e, keys=[key])[key]
        except (LerecError, OSError, ValueError) as exc:
            problems.append({"message": one_line(exc), "episode": e, "stream": key, "frame": None})
            continue
        shape = tuple(reader.features[key].get("shape") or ())
        if len(frames) != length:
            problems.append({"message": f"{len(frames)} frames decoded for {length} rows", "episode": e,
                             "stream": key, "frame": min(len(frames), length)})
        elif shape and frames.shape[1:] != shape:
            problems.append({"message": f"frames of shape {frames.shape[1:]}, the feature says {shape}",
                             "episode": e, "stream": key, "frame": 0})
    return {"problems": problems}


def _stats(reader: DatasetReader, e: int, folder: Path, settings: Mapping[str, Any], cache: dict) -> dict:
    """Each image and video stream's statistics recomputed from its decoded frames."""
    out = {}
    for key in [*reader.video_keys, *reader.image_keys]:
        feature = reader.features[key]
        depth = fmt.is_depth_feature(feature)
        frames = reader.frames(e, keys=[key])[key]
        stats = ImageStats(frames.shape[-1], "depth" if depth else "rgb")
        for frame in frames:
            stats.add(frame)
        out[key] = stats.result((feature.get("info") or {}).get("depth_unit") or "mm" if depth else None)
    return {"stats": stats_to_json(out)}


WORK = {"reencode": _reencode, "merge": _merge, "validate": _validate, "stats": _stats}


@attrs.define(frozen=True)
class RankStep:
    """The job's one pipeline step: do rank ``rank``'s share of the units planned in ``work_dir``."""

    work_dir: str

    def __call__(self, data: Any = None, rank: int = 0, world_size: int = 1) -> None:
        work = WorkDir(self.work_dir)
        plan = work.plan()
        if world_size != plan["tasks"]:
            raise JobError(f"{work.root}: the executor runs {world_size} tasks, the plan has {plan['tasks']}")
        folder = work.rank_dir(rank)
        shutil.rmtree(folder, ignore_errors=True)  # what a killed attempt left: the rank is redone whole
        folder.mkdir(parents=True)
        (folder / PID_FILE).write_text(str(os.getpid()))
        units, kind, settings = plan["units"], plan["kind"], plan["settings"]
        readers: dict[int, DatasetReader] = {}
        cache: dict[str, Any] = {}
        try:
            for unit in share(len(units), plan["tasks"], rank):
                s, e = units[unit]
                if s not in readers:
                    for old in readers.values():
                        old.close()
                    readers = {s: DatasetReader(plan["sources"][s], depth_output_unit="mm")}
                    cache = {}
                episode = work.episode_dir(rank, unit)
                episode.mkdir()
                try:
                    result = WORK[kind](readers[s], e, episode, settings, cache)
                except Exception as exc:
                    raise JobError(f"{plan['sources'][s]}: episode {e} ({kind}, rank {rank}): "
                                   f"{one_line(exc)}") from exc
                result.update({"source": s, "episode": e})
                tmp = episode / f".{RESULT}.tmp"
                tmp.write_text(json.dumps(_plain(result)))
                os.replace(tmp, episode / RESULT)
        except BaseException as exc:
            (folder / FAILED_FILE).write_text(one_line(exc))
            raise
        finally:
            for reader in readers.values():
                reader.close()


def _plain(value: Any) -> Any:
    """JSON-ready: numpy arrays and scalars as lists and numbers."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
