"""Comparing a job's output with the one-process tool's: the same rows, statistics, frames and (where the
encoder is deterministic) the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.validate import validate


def files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def assert_same_dataset(got: Path, want: Path, *, same_video_bytes: bool = True) -> None:
    """``got`` holds what ``want`` holds: files, rows, meta, stats; decoded frames equal; videos byte for byte
    unless ``same_video_bytes`` is False."""
    assert validate(got) == []
    assert files(got) == files(want)
    for rel in files(want):
        if rel.suffix == ".mp4" and not same_video_bytes:
            continue
        if rel.suffix == ".parquet":
            assert pq.read_table(got / rel).equals(pq.read_table(want / rel)), rel
        elif rel.suffix == ".json":
            assert json.loads((got / rel).read_text()) == json.loads((want / rel).read_text()), rel
        assert (got / rel).read_bytes() == (want / rel).read_bytes(), rel
    with DatasetReader(got) as a, DatasetReader(want) as b:
        assert a.num_episodes == b.num_episodes
        for e in range(a.num_episodes):
            rows_a, rows_b = a.rows(e), b.rows(e)
            assert rows_a.keys() == rows_b.keys()
            for key in rows_a:
                assert np.array_equal(np.asarray(rows_a[key]), np.asarray(rows_b[key])), (e, key)
            frames_a, frames_b = a.frames(e), b.frames(e)
            for key in frames_b:
                assert np.array_equal(frames_a[key], frames_b[key]), (e, key)


class Count:
    """A progress callback that adds up the episodes reported."""

    def __init__(self):
        self.done = 0

    def __call__(self, n: int) -> None:
        self.done += n
