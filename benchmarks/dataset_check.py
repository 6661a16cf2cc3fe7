"""Checking a recorded dataset the benchmark way: video frames against rows, and each decoded frame's barcode
against the camera frame its row recorded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pyarrow.parquet as pq

from lerec.cameras.synthetic import BARCODE_BITS
from lerec.dataset.metadata import DatasetMeta


def rows_per_episode(root: Path) -> dict[int, int]:
    counts: dict[int, int] = {}
    for path in sorted((root / "data").glob("chunk-*/file-*.parquet")):
        for index in pq.read_table(path, columns=["episode_index"]).column("episode_index").to_pylist():
            counts[index] = counts.get(index, 0) + 1
    return counts


def barcode_cells(gray: np.ndarray) -> np.ndarray:
    """Mean grey level of the centre of each of the synthetic frame's 16 barcode cells (top eighth, left to right)."""
    height, width = gray.shape
    band = max(1, height // 8)
    means = np.empty(BARCODE_BITS)
    for bit in range(BARCODE_BITS):
        x0, x1 = bit * width // BARCODE_BITS, (bit + 1) * width // BARCODE_BITS
        w = x1 - x0
        means[bit] = gray[band // 4 : band - band // 4 or None, x0 + w // 4 : x1 - w // 4 or None].mean()
    return means


def shows_frame(cells: np.ndarray, n: int) -> bool:
    """Whether barcode cells read back show frame ``n``: every cell that is clearly dark or bright agrees with
    ``n``'s bit. Cells in between are codec smear (SVT-AV1's fastest presets blur a few cells), not evidence."""
    bits = (n >> np.arange(BARCODE_BITS)) & 1
    return not (np.any((cells > 192) & (bits == 0)) or np.any((cells < 64) & (bits == 1)))


def decoded_frames(path: Path) -> list[tuple[float, np.ndarray]]:
    """(timestamp, barcode cell means) of every frame of the MP4 at ``path``, decoded."""
    out = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            out.append((float(frame.pts * stream.time_base), barcode_cells(frame.to_ndarray(format="gray"))))
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
