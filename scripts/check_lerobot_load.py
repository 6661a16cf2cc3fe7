"""Load a lerec dataset with LeRobot's LeRobotDataset and check every frame against the synthetic source.

Run with a Python that has ``lerobot[dataset]`` installed (LeRobot needs Python >= 3.12):
    HF_HUB_OFFLINE=1 python scripts/check_lerobot_load.py DATASET_ROOT
Checks that frame k of every episode of every RGB camera shows the synthetic camera frame that the recorder
sampled at tick k (its barcode against ``lerec/<key>/camera_seq`` in the episode row), and that the rows'
timestamps are k / fps, and that every numeric feature (``observation.state``, ``action``, ...) LeRobot returns
equals the row in the parquet; for the synthetic robot (its default gain 1), that the state of tick k is the
action of tick k - 1. Depth features are returned by LeRobot's own dequantization.
"""

import importlib.util
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from lerobot.datasets.lerobot_dataset import LeRobotDataset  # noqa: E402

# lerec is not installed in LeRobot's interpreter: its barcode module needs numpy alone, so load it by path.
_spec = importlib.util.spec_from_file_location(
    "lerec_barcode", Path(__file__).resolve().parents[1] / "lerec" / "cameras" / "barcode.py")
barcode = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(barcode)


def main(root: str) -> int:
    ds = LeRobotDataset("local/" + os.path.basename(root.rstrip("/")), root=root)
    print(f"loaded: {ds.num_episodes} episodes, {ds.num_frames} frames, features {list(ds.features)}")
    keys = ds.meta.camera_keys  # video and image features
    cams = [k for k in keys if not (ds.meta.features[k].get("info") or {}).get("is_depth_map")]
    depth = [k for k in keys if k not in cams]
    import pyarrow.parquet as pq

    rows = [r for f in sorted(Path(root, "meta/episodes").glob("*/*.parquet")) for r in pq.read_table(f).to_pylist()]
    seqs = {r["episode_index"]: r for r in rows}
    data = {r["index"]: r for f in sorted(Path(root, "data").glob("*/*.parquet")) for r in pq.read_table(f).to_pylist()}
    numeric = [k for k, f in ds.meta.features.items() if f["dtype"] not in ("video", "image", "string", "language")
               and k not in ("timestamp", "frame_index", "episode_index", "index", "task_index")]
    robot_type = json.loads(Path(root, "meta/info.json").read_text()).get("robot_type")
    follower = robot_type == "synthetic" and {"observation.state", "action"} <= set(numeric)
    previous_action = None
    bad = smeared = 0
    for i in range(len(ds)):
        item = ds[i]
        k = int(item["frame_index"])
        episode = seqs[int(item["episode_index"])]
        if abs(float(item["timestamp"]) - k / ds.fps) > 1e-4:
            print(f"row {i}: timestamp {float(item['timestamp'])} != {k}/{ds.fps}")
            bad += 1
        for key in cams:
            cells = barcode.cell_levels(np.asarray(item[key].numpy()).transpose(1, 2, 0) * 255)
            want = episode[f"lerec/{key}/camera_seq"][k] & 0xFFFF
            wrong = barcode.contradicting_bits(cells, want)
            smeared += int(np.sum((cells >= 64) & (cells <= 192)))
            if wrong:
                print(f"row {i} (episode {int(item['episode_index'])}, frame {k}): {key} is not camera frame "
                      f"{want}: barcode bits {wrong} disagree (cells {np.round(cells[wrong]).tolist()})")
                bad += 1
        row = data[int(item["index"])]
        for key in numeric:
            if not np.array_equal(np.asarray(item[key].numpy()).reshape(-1), np.asarray(row[key]).reshape(-1)):
                print(f"row {i}: {key} {item[key].numpy().tolist()} != the parquet's {row[key]}")
                bad += 1
        if follower:
            state = np.asarray(item["observation.state"].numpy())
            if k > 0 and not np.array_equal(state, previous_action):
                print(f"row {i}: the synthetic robot's state {state.tolist()} is not the last action "
                      f"{previous_action.tolist()} (a gain other than 1?)")
                bad += 1
            previous_action = np.asarray(item["action"].numpy())
        for key in depth:
            d = item[key].numpy()
            if i == 0:
                print(f"{key}: shape {d.shape}, range {d.min():.3f}..{d.max():.3f}")
    labels = [c for c in ("success", "tags", "notes") if rows and c in rows[0]]  # lerec's episode labels
    if labels:
        seen = ds.meta.episodes
        for column in labels:
            got = dict(zip(list(seen["episode_index"]), list(seen[column])))
            want = {e: r[column] for e, r in seqs.items()}
            if got != want:
                print(f"episode labels: LeRobot reads {column} {got}, the files hold {want}")
                bad += 1
        read = [(e, seqs[e].get("success"), seqs[e].get("tags")) for e in sorted(seqs)]
        print(f"episode labels LeRobot reads (episode, success, tags): {read}")
    cells = len(ds) * len(cams) * barcode.BARCODE_BITS
    print(f"barcode cells smeared grey by the codec (not counted either way): {smeared} of {cells}")
    print(f"numeric features checked against the parquet: {numeric}" + (" (and the synthetic robot follows its "
          "actions)" if follower else ""))
    print("OK" if not bad else f"{bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
