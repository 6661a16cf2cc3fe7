"""Checking a recorded dataset the benchmark way: video frames against rows, and each decoded frame's barcode
against the camera frame its row recorded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pyarrow.parquet as pq

from lerec.cameras.barcode import cell_levels, contradicting_bits
from lerec.dataset.store.metadata import DatasetMeta


def rows_per_episode(root: Path) -> dict[int, int]:
    counts: dict[int, int] = {}
    for path in sorted((root / "data").glob("chunk-*/file-*.parquet")):
        for index in pq.read_table(path, columns=["episode_index"]).column("episode_index").to_pylist():
            counts[index] = counts.get(index, 0) + 1
    return counts


def shows_frame(levels: np.ndarray, n: int) -> bool:
    """Whether barcode cell levels read back show frame ``n``: no clearly dark or bright cell disagrees."""
    return not contradicting_bits(levels, n)


def decoded_frames(path: Path) -> list[tuple[float, np.ndarray]]:
    """(timestamp, barcode cell means) of every frame of the MP4 at ``path``, decoded."""
    out = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            out.append((float(frame.pts * stream.time_base), cell_levels(frame.to_ndarray(format="gray"))))
    return out


def check_dataset(root: Path, camera_seq: Callable[[dict, str], list[int]], decode: bool) -> list[dict]:
    """Per episode and video key: rows, frames in the MP4 for the episode's time range, and (``decode``) how many
    decoded frames show another camera frame than the one the row recorded (a lost frame shifts the rest)."""
    meta = DatasetMeta.load(root)
    rows = rows_per_episode(root)
    cache: dict[Path, list] = {}
    results = []
    for episode in meta.episodes:
        index = int(episode["episode_index"])
        entry = {"episode_index": index, "rows": rows.get(index, 0), "length": int(episode["length"]), "streams": {}}
        for key in meta.video_keys:
            path = meta.video_file(key, episode)
            start, end = float(episode[f"videos/{key}/from_timestamp"]), float(episode[f"videos/{key}/to_timestamp"])
            if path not in cache:
                cache[path] = decoded_frames(path) if decode else demuxed_frames(path)
            frames = [code for t, code in cache[path] if start - 1e-4 <= t < end - 1e-4]
            stream = {"video_frames": len(frames)}
            ages = episode.get(f"lerec/{key}/capture_age_us")  # lerec's datasets: each row's frame age at its tick
            if ages:
                stream["frame_age_ms_p50"] = float(np.median(ages)) / 1000
            if decode:
                expected = [s & 0xFFFF for s in camera_seq(episode, key)]
                stream["wrong_frames"] = (sum(not shows_frame(cells, n) for cells, n in zip(frames, expected))
                                          + abs(len(frames) - len(expected)))
            entry["streams"][key] = stream
        results.append(entry)
    return results


def demuxed_frames(path: Path) -> list[tuple[float, None]]:
    out = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.pts is not None:
                out.append((float(packet.pts * stream.time_base), None))
    return out


# --- the encoders alone ---------------------------------------------------------------------------------------


def frames_lost(checked: list[dict]) -> int:
    return sum(e["rows"] - s["video_frames"] for e in checked for s in e["streams"].values())


def wrong_frames(checked: list[dict]) -> int | None:
    values = [s.get("wrong_frames") for e in checked for s in e["streams"].values()]
    return None if any(v is None for v in values) else sum(values)
