"""Dataset jobs benchmark: re-encode and ``validate --decode`` of a 40-episode 3-camera dataset with 1 and 2 local
workers and 2 on Ray (num_cpus=2), in one run; then merging N datasets (time against their bytes, the commit's
memory against their episodes).

    python benchmarks/jobs.py                        # 40 episodes × 3 cameras 640×480@30, 60 frames each
    python benchmarks/jobs.py --no-ray --json out.json
    python benchmarks/jobs.py --episodes 8 --frames 30 --merge-copies 1,2,4   # a quick look

The source dataset is recorded once with the synthetic cameras and kept in a cache folder (--cache) keyed by its
settings, so later runs start at the jobs. Each job runs in a fresh Python process (``benchmarks/jobs_child.py``)
that reports its wall time and, measured apart, the commit step's time and peak RSS (its own process, so that the
workers' memory is not counted).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import numpy as np

from lerec import RGBEncoderConfig, Recorder, SyntheticCameraConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import machine_info  # noqa: E402

HERE = Path(__file__).resolve().parent
STATE_DIM = 6


# --- the source dataset, recorded once ------------------------------------------------------------------------

def source_key(args) -> str:
    import lerec

    text = json.dumps([args.episodes, args.cameras, args.width, args.height, args.fps, args.frames, args.noise,
                       args.source_vcodec, args.source_preset, lerec.__version__])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


async def record_source(args, root: Path) -> None:
    cameras = {f"cam{i}": SyntheticCameraConfig(width=args.width, height=args.height, fps=args.fps, noise=args.noise)
               for i in range(args.cameras)}
    names = [f"joint{i}" for i in range(STATE_DIM)]
    features = {"observation.state": {"dtype": "float32", "shape": [STATE_DIM], "names": names},
                "action": {"dtype": "float32", "shape": [STATE_DIM], "names": names}}
    rng = np.random.default_rng(0)
    state = np.zeros(STATE_DIM, dtype=np.float32)

    def step():
        nonlocal state
        state = state + rng.normal(0, 0.01, STATE_DIM).astype(np.float32)
        return {"observation.state": state, "action": state + 0.01}

    encoder = RGBEncoderConfig(vcodec=args.source_vcodec, preset=args.source_preset)
    async with Recorder.create(root, args.fps, cameras, features, rgb_encoder=encoder) as rec:
        for e in range(args.episodes):
            await rec.record_episode("bench", num_frames=args.frames, step=step)
            print(f"\r  recorded episode {e + 1}/{args.episodes}", end="", flush=True)
    print()


def cached_source(args) -> Path:
    """The source dataset: from the cache, or recorded into it (moved into place only when complete)."""
    root = Path(args.cache) / f"jobs-{source_key(args)}"
    if (root / "meta/info.json").exists():
        print(f"source dataset (cached): {root}")
        return root
    print(f"recording the source dataset: {args.episodes} episodes × {args.cameras} cameras "
          f"{args.width}×{args.height}@{args.fps}, {args.frames} frames each -> {root}")
    root.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".recording-", dir=root.parent))
    anyio.run(record_source, args, partial / "ds")
    os.replace(partial / "ds", root)
    shutil.rmtree(partial, ignore_errors=True)
    return root


def dataset_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


# --- measuring a process --------------------------------------------------------------------------------------

def run_measured(command: list[str], log: Path, env: dict | None = None) -> dict:
    """Run ``command``; its wall time, CPU time and peak RSS (of the process and the children it waited for:
    wait4's rusage), and its exit status. Output goes to ``log``."""
    start = time.perf_counter()
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": time.perf_counter() - start, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024, "exit": process.returncode}


def lerec_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "lerec", *args]


# --- merging N datasets ---------------------------------------------------------------------------------------

def bench_merge(src: Path, copies: list[int], workdir: Path) -> list[dict]:
    """Merge N hard-linked copies of the source (one process: reading, appending, the commit): time against the
    sources' bytes, peak RSS against the episodes."""
    results = []
    size = dataset_bytes(src)
    episodes, frames = episodes_frames(src)
    for n in copies:
        sources = []
        for i in range(n):
            dst = workdir / f"copy-{i}"
            if not dst.exists():
                subprocess.run(["cp", "-al", str(src), str(dst)], check=True)
            sources.append(str(dst))
        out = workdir / f"merged-{n}"
        shutil.rmtree(out, ignore_errors=True)
        m = run_measured(lerec_command("merge", *sources, "--output", str(out)), workdir / f"merge-{n}.log")
        if m["exit"] != 0:
            raise SystemExit(f"lerec merge of {n} datasets failed (exit {m['exit']}): {workdir / f'merge-{n}.log'}")
        m.update(datasets=n, episodes=n * episodes, frames=n * frames, source_mb=n * size / 1e6,
                 output_mb=dataset_bytes(out) / 1e6)
        m["mb_per_s"] = m["source_mb"] / m["wall_s"]
        results.append(m)
        print(f"  merge {n:3d} datasets ({m['episodes']:5d} episodes, {m['source_mb']:8.1f} MB): "
              f"{m['wall_s']:7.2f} s, {m['mb_per_s']:6.1f} MB/s, peak RSS {m['peak_rss_mb']:6.1f} MB", flush=True)
        shutil.rmtree(out)
    return results


def episodes_frames(root: Path) -> tuple[int, int]:
    from lerec.dataset.reader import DatasetReader

    with DatasetReader(root) as ds:
        return ds.num_episodes, ds.num_frames


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--episodes", type=int, default=40)
    p.add_argument("--cameras", type=int, default=3)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--frames", type=int, default=60, help="frames per episode")
    p.add_argument("--noise", type=int, default=8, help="the synthetic cameras' texture (grey levels)")
    p.add_argument("--source-vcodec", default="h264")
    p.add_argument("--source-preset", default="veryfast")
    p.add_argument("--cache", default=os.path.join(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"),
                                                   "lerec-bench"))
    return p.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    src = cached_source(args)
    print(src, dataset_bytes(src))
    work = Path(tempfile.mkdtemp(prefix="lerec-jobs-bench-"))
    print(json.dumps(bench_merge(src, [2, 4, 8], work), indent=1))
