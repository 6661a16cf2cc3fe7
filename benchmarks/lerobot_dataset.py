"""Write a dataset with LeRobot's own writer (``LeRobotDataset.create`` + ``add_frame`` + ``save_episode``).

Run with a Python that has ``lerobot[dataset]`` (0.6.x):
    /opt/lerobot-venv/bin/python benchmarks/lerobot_dataset.py ROOT --episodes 3 --frames 30 --cameras 2 --depth
RGB frame n carries n in lerec's synthetic barcode (16 cells in the top eighth), so readers can check which
frame they got; depth frame n is a smooth surface in mm with a no-data (0) corner; ``observation.state`` is n.
Used to check that lerec reads, validates, merges and edits datasets LeRobot wrote.
"""

import argparse
import os
import shutil

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

BITS = 16


def barcoded_rgb(n: int, width: int, height: int, camera: int) -> np.ndarray:
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[..., 0] = 128 + 90 * np.sin(2 * np.pi * (2 * x + n / 45 + camera / 7))
    frame[..., 1] = 128 + 90 * np.sin(2 * np.pi * (2 * y - n / 60))
    frame[..., 2] = 128 + 60 * np.sin(2 * np.pi * (3 * x + 3 * y + n / 30))
    band = max(1, height // 8)
    for bit in range(BITS):
        x0, x1 = bit * width // BITS, (bit + 1) * width // BITS
        frame[:band, x0:x1] = 255 if (n >> bit) & 1 else 0
    return frame


def depth_mm(n: int, width: int, height: int) -> np.ndarray:
    x = np.linspace(0, 1, width)[None, :]
    y = np.linspace(0, 1, height)[:, None]
    mm = 800 + 400 * np.sin(2 * np.pi * (x + n / 90)) + 300 * np.cos(2 * np.pi * (y - n / 120))
    mm[height - height // 8 :, : width // 8] = 0
    return np.rint(mm).astype(np.uint16)[..., None]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("--episodes", type=int, default=3)
    p.add_argument("--frames", type=int, default=30)
    p.add_argument("--cameras", type=int, default=2)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--height", type=int, default=48)
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--depth", action="store_true", help="add a depth stream to the first camera")
    p.add_argument("--images", action="store_true", help="store cameras as PNG images, not videos")
    p.add_argument("--vcodec", default=None, help="RGB codec (LeRobot's default when omitted)")
    args = p.parse_args()

    from lerobot.configs.video import RGBEncoderConfig
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    names = ["height", "width", "channels"]
    dtype = "image" if args.images else "video"
    features = {f"observation.images.cam{c}": {"dtype": dtype, "shape": [args.height, args.width, 3], "names": names}
                for c in range(args.cameras)}
    if args.depth:
        features["observation.images.cam0_depth"] = {"dtype": dtype, "shape": [args.height, args.width, 1],
                                                     "names": names, "info": {"is_depth_map": True}}
    features["observation.state"] = {"dtype": "float32", "shape": [2], "names": ["n", "episode"]}
    shutil.rmtree(args.root, ignore_errors=True)
    rgb = RGBEncoderConfig(vcodec=args.vcodec) if args.vcodec else None
    ds = LeRobotDataset.create("local/" + os.path.basename(args.root.rstrip("/")), args.fps, features,
                               root=args.root, robot_type="synthetic", use_videos=not args.images, rgb_encoder=rgb)
    n = 0
    for e in range(args.episodes):
        for _ in range(args.frames):
            frame = {f"observation.images.cam{c}": barcoded_rgb(n, args.width, args.height, c)
                     for c in range(args.cameras)}
            if args.depth:
                frame["observation.images.cam0_depth"] = depth_mm(n, args.width, args.height)
            frame["observation.state"] = np.array([n, e], dtype=np.float32)
            frame["task"] = f"task {e % 2}"
            ds.add_frame(frame)
            n += 1
        ds.save_episode()
    ds.finalize()
    print(f"wrote {args.episodes} episodes x {args.frames} frames to {args.root}")


if __name__ == "__main__":
    main()
