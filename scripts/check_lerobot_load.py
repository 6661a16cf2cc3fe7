"""Load a lerec dataset with LeRobot's LeRobotDataset and check every frame against the synthetic source.

Run with a Python that has ``lerobot[dataset]`` installed (LeRobot needs Python >= 3.12):
    HF_HUB_OFFLINE=1 python scripts/check_lerobot_load.py DATASET_ROOT
Checks that frame k of every episode of every RGB camera shows the synthetic camera frame that the recorder
sampled at tick k (its barcode against ``lerec/<key>/camera_seq`` in the episode row), and that the rows'
timestamps are k / fps. Depth features are returned by LeRobot's own dequantization.
"""

import importlib.util
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
        for key in depth:
            d = item[key].numpy()
            if i == 0:
                print(f"{key}: shape {d.shape}, range {d.min():.3f}..{d.max():.3f}")
    cells = len(ds) * len(cams) * barcode.BARCODE_BITS
    print(f"barcode cells smeared grey by the codec (not counted either way): {smeared} of {cells}")
    print("OK" if not bad else f"{bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
