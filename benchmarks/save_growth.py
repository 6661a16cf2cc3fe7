"""How the writer's per-episode save cost grows over a long session (no cameras, no encoders).

Saves N episodes of L rows (a 6-float state and action as a noisy random walk, lerec's provenance columns for 3
cameras) with the writer's steps as the recorder runs them, and prints their times at a few episode counts.
Every parquet file is replaced whole per episode (so that each episode survives a crash), so what matters is
that these times stay flat as the dataset grows.

    python benchmarks/save_growth.py --episodes 300 --length 600
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from lerec.dataset.writing.writer import DatasetWriter

CAMERAS = 3
STATE_DIM = 6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--length", type=int, default=600, help="rows per episode (600 = 20 s at 30 fps)")
    args = parser.parse_args()
    features = {key: {"dtype": "float32", "shape": [STATE_DIM], "names": None} for key in ("observation.state", "action")}
    shown = {1, 10, 50, 100, 200, 300, 500, 1000, args.episodes}
    print(f"{'episode':>8} {'place rows':>11} {'append rows':>12} {'stage row':>10} {'commit':>7}   (ms)")
    with tempfile.TemporaryDirectory(prefix="lerec-save-growth-") as tmp:
        writer = DatasetWriter.create(Path(tmp) / "dataset", 30, features)
        length = args.length
        rng = np.random.default_rng(0)
        for episode in range(1, args.episodes + 1):
            provenance = {}
            for k in range(CAMERAS):
                provenance[f"lerec/cam{k}/camera_seq"] = list(range(episode * length, (episode + 1) * length))
                provenance[f"lerec/cam{k}/capture_age_us"] = rng.integers(0, 34_000, length).tolist()
            # A robot's state: noisy floats (zeros would compress and dictionary-encode unlike real data).
            values = rng.normal(scale=0.01, size=(length, STATE_DIM)).cumsum(axis=0).astype(np.float32)
            pending = writer.begin_episode("task", length, provenance)
            t0 = time.perf_counter()
            table = writer.place_frames(pending, {"observation.state": values, "action": values})
            t1 = time.perf_counter()
            writer.append_frames(pending, table)
            t2 = time.perf_counter()
            writer.stage_row(pending, {})
            t3 = time.perf_counter()
            writer.commit_episode(pending)
            t4 = time.perf_counter()
            if episode in shown:
                print(f"{episode:>8} {1e3 * (t1 - t0):>11.1f} {1e3 * (t2 - t1):>12.1f} {1e3 * (t3 - t2):>10.1f} "
                      f"{1e3 * (t4 - t3):>7.1f}")


if __name__ == "__main__":
    main()
