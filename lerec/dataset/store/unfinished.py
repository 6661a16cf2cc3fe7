"""What an interrupted save can leave ahead of info.json's commit point, found without changing anything.

A save writes the data parquet, the episode's row, the tasks and stats.json, and appends to the MP4s before
info.json commits it (:mod:`lerec.dataset.writing.writer`); a crash in between leaves some of those ahead of info.json,
and temporary files or work folders beside them. ``lerec record --resume`` cuts all of it
(:meth:`lerec.dataset.writing.writer.DatasetWriter.repair`); ``lerec validate`` says so rather than list each mismatch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq

from lerec.dataset.spec import checksums
from lerec.dataset.spec import format as fmt
from lerec.dataset.spec import layout
from lerec.dataset.spec.meta_schema import read_json
from lerec.dataset.store.metadata import DatasetMeta
from lerec.encoding import fmp4
from lerec.errors import DatasetError

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


def _video_files(root: Path, meta: DatasetMeta, committed: int
                 ) -> Iterator[tuple[Path, list[fmp4.Box], int, list[int]]]:
    """Each readable video file of the dataset: its top-level boxes, its size and the committed episodes it holds
    (in order). Nothing when a committed row names no video (the other checks report it)."""
    for key in meta.video_keys:
        per_file: dict[Path, list[int]] = {}
        for row in meta.episodes[:committed]:
            try:
                path = meta.video_file(key, row)
            except (KeyError, TypeError, ValueError):
                return
            per_file.setdefault(path, []).append(int(row[fmt.EPISODE_INDEX]))
        for path in layout.find(root, fmt.video_files(key)):
            try:
                boxes = fmp4.file_boxes(path)
                size = path.stat().st_size
            except Exception:
                continue
            yield path, boxes, size, per_file.get(path, [])


def _cut_fragment(boxes: list[fmp4.Box], size: int) -> int | None:
    """The number (from 1) of the fragment that the file's end cuts short, None when it ends after a box."""
    if not boxes or boxes[-1].end >= size:
        return None
    moofs = fmp4.fragments_in(boxes)
    return moofs if boxes[-1].type == b"moof" else moofs + 1


def _video_fragments_ahead(root: Path, meta: DatasetMeta, committed: int) -> list[str]:
    found = []
    for path, boxes, size, episodes in _video_files(root, meta, committed):
        fragments, cut = fmp4.fragments_in(boxes), _cut_fragment(boxes, size)
        if fragments > len(episodes) and (cut is None or cut > len(episodes)):
            found.append(f"{path.relative_to(root)} holds {fragments - len(episodes)} fragment(s) "
                         "beyond the committed episodes")
        elif cut is not None and cut > len(episodes):
            found.append(f"{path.relative_to(root)} ends with {size - boxes[-1].end} bytes of an unfinished "
                         "fragment")
    return found


def damaged_videos(root: str | Path, meta: DatasetMeta) -> list[tuple[int, str]]:
    """(episode, what is wrong) for each committed episode whose fragment a video file holds cut short: damage,
    which ``--resume`` cannot repair (it would cut the episode's video). A file that lost whole fragments ends
    after a box: its checksum's size tells, where it has one, and the frame checks."""
    root = Path(root)
    found = []
    for path, boxes, size, episodes in _video_files(root, meta, int(meta.info.get("total_episodes", 0))):
        cut = _cut_fragment(boxes, size)
        if fmp4.fragments_in(boxes) and cut is not None and cut <= len(episodes):  # lerec's: one per episode
            found.append((episodes[cut - 1], f"{path.relative_to(root)} is truncated: it ends {size - boxes[-1].end}"
                          f" bytes into the fragment of committed episode {episodes[cut - 1]}"))
    return found


def beyond_repair(root: str | Path, meta: DatasetMeta) -> list[str]:
    """What ``--resume`` cannot repair (empty when nothing): the committed files disagree with info.json, so an
    append would build on damage. Bounded checks, run before a resume writes anything: totals, stats.json, the
    committed videos' sizes and fragments, and (after a clean stop) the bytes of the files an append rewrites.
    ``lerec validate`` checks everything."""
    root = Path(root)
    committed = int(meta.info["total_episodes"])
    rows = meta.episodes[:committed]
    frames = sum(int(r[fmt.LENGTH]) for r in rows)
    found = []
    if int(meta.info["total_frames"]) != frames:
        found.append(f"{fmt.INFO_PATH} total_frames is {meta.info['total_frames']}, its {committed} committed "
                     f"episodes hold {frames}")
    try:
        if not isinstance(read_json(meta.path(fmt.STATS_PATH)), dict):
            found.append(f"{fmt.STATS_PATH} is not a JSON object of features")
    except DatasetError as exc:
        found.append(str(exc))
    found += [message for _, message in damaged_videos(root, meta)]
    try:
        committed_sums = checksums.committed(meta.info)
    except DatasetError as exc:
        return [*found, str(exc)]
    if not committed_sums:
        return found
    if unfinished_save(root, meta):  # the files it wrote differ from their checksums: only videos grow
        for relative, want in committed_sums.items():
            if fmt.parse_video_path(relative) is not None:
                path = layout.confine(root, relative, fmt.INFO_PATH)
                size = path.stat().st_size if path.exists() else 0
                if size < want.size:
                    found.append(f"{relative} is truncated: {size} bytes of the {want.size} committed")
        return found
    rewritten = {meta.path(fmt.TASKS_PATH)}
    if rows:
        rewritten |= {meta.data_file(rows[-1]), meta.path(fmt.FileAddress.of(rows[-1], fmt.EPISODES).episodes_path())}
    stray = layout.sensor_files_from(root, committed, int(meta.info["chunks_size"]))  # what resume cuts
    sizes = checksums.mismatches(root, committed_sums, whole=False, uncommitted=stray)
    whole = checksums.mismatches(root, committed_sums, [p for p in rewritten if p.exists()])
    return found + list({**sizes, **whole}.values())
