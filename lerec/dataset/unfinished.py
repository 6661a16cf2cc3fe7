"""What an interrupted save can leave ahead of info.json's commit point, found without changing anything.

A save writes the data parquet, the episode's row, the tasks and stats.json, and appends to the MP4s before
info.json commits it (:mod:`lerec.dataset.writer`); a crash in between leaves some of those ahead of info.json,
and temporary files or work folders beside them. ``lerec record --resume`` cuts all of it
(:meth:`lerec.dataset.writer.DatasetWriter.repair`); ``lerec validate`` says so rather than list each mismatch.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from lerec.dataset import format as fmt
from lerec.dataset import layout
from lerec.dataset.metadata import DatasetMeta
from lerec.encoding import fmp4

REPAIR_HINT = "`lerec record --resume` repairs it"


def unfinished_save(root: str | Path, meta: DatasetMeta, temporaries: bool = True) -> list[str]:
    """What lies beyond info.json's totals (empty when nothing does), and the temporary files a crash left unless
    not ``temporaries``. Files that cannot be read are left to the other checks to report."""
    root = Path(root)
    info = meta.info
    committed, frames = int(info.get("total_episodes", 0)), int(info.get("total_frames", 0))
    if len(meta.episodes) < committed or sum(r.length for r in meta.episodes[:committed]) != frames:
        return []  # info.json disagrees with its own episodes: damage, not a save a crash left half done
    found = []
    if len(meta.episodes) > committed:
        found.append(f"{fmt.EPISODES_DIR} holds {len(meta.episodes) - committed} episode(s) beyond info.json's "
                     f"total_episodes {committed}")
    tasks = int(info.get("total_tasks", len(meta.tasks)))
    if len(meta.tasks) > tasks:
        found.append(f"{fmt.TASKS_PATH} holds {len(meta.tasks) - tasks} task(s) beyond total_tasks {tasks}")
    for path in layout.find(root, fmt.DATA_FILES):
        try:
            index = pq.read_table(path, columns=["index"]).column("index").to_pylist()
        except Exception:
            continue
        if index and max(index) >= frames:
            found.append(f"{path.relative_to(root)} holds rows beyond total_frames {frames}")
    try:
        counted = json.loads(meta.path(fmt.STATS_PATH).read_text())["index"]["count"][0]
        if int(counted) > frames:
            found.append(f"{fmt.STATS_PATH} counts {counted} frames, info.json {frames}")
    except Exception:
        pass
    found += _video_fragments_ahead(root, meta, committed)
    leftovers = [p for pattern in (f"{fmt.VIDEO_CHUNKS}/.depth-transcode-*", f"{fmt.VIDEO_CHUNKS}/.*.partial",
                                   f"{fmt.META_DIR}/.*.tmp", f"{fmt.EPISODES_CHUNKS}/.*.tmp", f"{fmt.DATA_CHUNKS}/.*.tmp")
                 for p in layout.find(root, pattern)]
    if leftovers and temporaries:
        found.append(f"{len(leftovers)} temporary file(s) left, e.g. {leftovers[0].relative_to(root)}")
    return found


def _video_fragments_ahead(root: Path, meta: DatasetMeta, committed: int) -> list[str]:
    found = []
    for key in meta.video_keys:
        per_file: dict[Path, int] = {}
        for row in meta.episodes[:committed]:
            try:
                path = meta.video_file(key, row)
            except (KeyError, TypeError, ValueError):
                return []
            per_file[path] = per_file.get(path, 0) + 1
        for path in layout.find(root, fmt.video_files(key)):
            try:
                boxes = fmp4.file_boxes(path)
                size = path.stat().st_size
            except Exception:
                continue
            fragments = fmp4.fragments_in(boxes)
            if fragments > per_file.get(path, 0):
                found.append(f"{path.relative_to(root)} holds {fragments - per_file.get(path, 0)} fragment(s) "
                             "beyond the committed episodes")
            elif boxes and boxes[-1].end < size:
                found.append(f"{path.relative_to(root)} ends with {size - boxes[-1].end} bytes of an unfinished "
                             "fragment")
    return found
