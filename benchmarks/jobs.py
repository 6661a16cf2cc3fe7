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
from typing import Any

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


def episodes_frames(root: Path) -> tuple[int, int]:
    from lerec.dataset.reading.reader import DatasetReader

    with DatasetReader(root) as ds:
        return ds.num_episodes, ds.num_frames


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


# --- the child processes: one job, or one commit ---------------------------------------------------------------

def child_job(spec: dict) -> dict:
    """Run one lerec.jobs job (Ray started first when asked); its time, and Ray's start-up time apart."""
    import lerec.jobs

    ray_init_s = None
    if spec["executor"] == "ray":
        import ray

        start = time.perf_counter()
        ray.init(num_cpus=spec["workers"], include_dashboard=False, log_to_driver=False)
        ray_init_s = time.perf_counter() - start
    options = {"executor": spec["executor"], "workers": spec["workers"], "keep_work": True}
    if spec["executor"] == "slurm":
        options.update(slurm_partition=spec["partition"], tasks=spec["workers"])
    start = time.perf_counter()
    if spec["kind"] == "reencode":
        lerec.jobs.reencode(spec["source"], spec["output"], rgb=spec["rgb"], encoder_threads=spec["encoder_threads"],
                            **options)
        problems = None
    elif spec["kind"] == "validate":
        problems = len(lerec.jobs.validate(spec["source"], work_dir=spec["work_dir"], **options))
    else:
        lerec.jobs.merge(spec["sources"], spec["output"], **options)
        problems = None
    return {"job_s": time.perf_counter() - start, "ray_init_s": ray_init_s, "problems": problems}


def child_commit(work_dir: str) -> dict:
    """The commit step alone, in this fresh process: its time and peak RSS, and the RSS before it started."""
    import resource

    from lerec.jobs.commit import commit
    from lerec.jobs.plan import WorkDir

    def rss_mb(field: str) -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    work = WorkDir(work_dir)
    output = work.plan()["output"]
    if output:
        shutil.rmtree(output, ignore_errors=True)  # the job wrote it already: the commit writes it again
    before = rss_mb("VmRSS")
    start = time.perf_counter()
    result = commit(work)
    return {"commit_s": time.perf_counter() - start, "commit_rss_before_mb": before,
            "commit_peak_rss_mb": rss_mb("VmHWM"), "problems": None if output else len(result)}


def run_child(kind: str, payload: Any, log: Path) -> dict:
    """Run this script as a child (``--child KIND PAYLOAD``): its own figures plus wait4's."""
    out = log.with_suffix(".json")
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, json.dumps(payload), str(out)]
    measured = run_measured(command, log)
    if measured["exit"] != 0:
        raise SystemExit(f"{kind} {payload} failed (exit {measured['exit']}): see {log}")
    return {**measured, **json.loads(out.read_text())}


# --- the jobs -------------------------------------------------------------------------------------------------


def bench_jobs(args, src: Path, workdir: Path) -> list[dict]:
    """Re-encode and validate --decode on each executor, then each job's commit alone in a fresh process."""
    episodes, frames = episodes_frames(src)
    results = []
    runs = [(r.split(":")[0], int(r.split(":")[1])) for r in args.runs.split(",")]
    for kind in ("reencode", "validate"):
        for executor, workers in runs:
            name = f"{kind}-{executor}-{workers}"
            spec = {"kind": kind, "executor": executor, "workers": workers, "source": str(src),
                    "output": str(workdir / name), "work_dir": str(workdir / f"{name}.lerec-job"),
                    "rgb": {k: v for k, v in {"vcodec": args.vcodec, "preset": args.preset, "crf": args.crf}.items()
                            if v is not None},
                    "encoder_threads": args.encoder_threads, "partition": args.slurm_partition}
            load = os.getloadavg()[0]
            m = run_child("job", spec, workdir / f"{name}.log")
            if kind == "reencode":
                check_reencoded(Path(spec["output"]), spec["rgb"])
            work = spec["work_dir"] if kind == "validate" else spec["output"] + ".lerec-job"
            c = run_child("commit", work, workdir / f"{name}-commit.log")
            row = {"job": kind, "executor": executor, "workers": workers, "episodes": episodes, "frames": frames,
                   "wall_s": m["wall_s"], "job_s": m["job_s"], "ray_init_s": m["ray_init_s"],
                   "cpu_s": m["cpu_s"] if executor == "local" else None,  # Ray's and Slurm's workers run elsewhere
                   "problems": m["problems"], "commit_s": c["commit_s"], "commit_cpu_s": c["cpu_s"],
                   "commit_rss_before_mb": c["commit_rss_before_mb"],
                   "commit_peak_rss_mb": c["commit_peak_rss_mb"], "load_before": load}
            row["episodes_per_s"] = episodes / row["job_s"]
            results.append(row)
            ray = f", Ray start {row['ray_init_s']:.1f} s" if row["ray_init_s"] else ""
            print(f"  {kind:8s} {executor:5s} × {workers}: {row['job_s']:7.1f} s ({row['episodes_per_s']:.2f} "
                  f"episodes/s{ray}), commit {row['commit_s']:.2f} s, peak RSS {row['commit_peak_rss_mb']:.0f} MB "
                  f"({row['commit_rss_before_mb']:.0f} before), load {load:.1f}", flush=True)
            shutil.rmtree(workdir / name, ignore_errors=True)
            shutil.rmtree(work, ignore_errors=True)
    for row in results:
        base = [r for r in results if r["job"] == row["job"] and r["executor"] == "local" and r["workers"] == 1]
        row["speedup"] = base[0]["job_s"] / row["job_s"] if base else None
    return results


def check_reencoded(root: Path, rgb: dict) -> None:
    """Every camera of the output carries the new settings (a stream whose settings do not change is copied,
    which would measure a copy)."""
    info = json.loads((root / "meta/info.json").read_text())
    for key, feature in info["features"].items():
        if feature.get("dtype") == "video":
            got = feature["info"]
            if got.get("video.crf") != rgb.get("crf", got.get("video.crf")):
                raise SystemExit(f"{root}: {key} has crf {got.get('video.crf')}, not {rgb['crf']}: not re-encoded")


# --- merging N datasets ---------------------------------------------------------------------------------------

def heavy_source(args, src: Path) -> Path:
    """The source re-encoded at a low crf (same episodes, several times the bytes), cached beside it."""
    from lerec.dataset.editing.edit import reencode_dataset

    root = src.with_name(src.name + f"-crf{args.heavy_crf}")
    if not (root / "meta/info.json").exists():
        print(f"re-encoding the source at crf {args.heavy_crf} (ultrafast) for the merge's bytes -> {root}")
        tmp = Path(tempfile.mkdtemp(prefix=".heavy-", dir=root.parent)) / "ds"
        reencode_dataset(src, tmp, rgb={"vcodec": "h264", "preset": "ultrafast", "crf": args.heavy_crf})
        os.replace(tmp, root)
        shutil.rmtree(tmp.parent, ignore_errors=True)
    return root


def bench_merge(args, sources: dict[str, Path], copies: list[int], workdir: Path) -> list[dict]:
    """lerec.jobs.merge of N hard-linked copies of a source (local, 2 workers), then its commit alone: time
    against the sources' bytes, the commit's peak RSS against the episodes."""
    results = []
    for label, src in sources.items():
        size = dataset_bytes(src)
        episodes, frames = episodes_frames(src)
        for n in copies:
            copies_dir = workdir / f"copies-{label}"
            names = []
            for i in range(n):
                dst = copies_dir / f"robot-{i:03d}"
                if not dst.exists():
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    subprocess.run(["cp", "-al", str(src), str(dst)], check=True)
                names.append(str(dst))
            out = workdir / f"merged-{label}-{n}"
            spec = {"kind": "merge", "executor": "local", "workers": 2, "sources": names, "output": str(out)}
            m = run_child("job", spec, workdir / f"merge-{label}-{n}.log")
            c = run_child("commit", str(out) + ".lerec-job", workdir / f"merge-{label}-{n}-commit.log")
            row = {"source": label, "datasets": n, "episodes": n * episodes, "frames": n * frames,
                   "source_mb": n * size / 1e6, "output_mb": dataset_bytes(out) / 1e6, "job_s": m["job_s"],
                   "job_cpu_s": m["cpu_s"], "commit_s": c["commit_s"], "commit_cpu_s": c["cpu_s"],
                   "commit_rss_before_mb": c["commit_rss_before_mb"],
                   "commit_peak_rss_mb": c["commit_peak_rss_mb"], "load_before": os.getloadavg()[0]}
            results.append(row)
            print(f"  merge {n:3d} × {label:5s} ({row['episodes']:5d} episodes, {row['source_mb']:7.1f} MB): job "
                  f"{row['job_s']:6.1f} s, commit {row['commit_s']:6.2f} s ({row['source_mb'] / row['commit_s']:.0f} "
                  f"MB/s), commit peak RSS {row['commit_peak_rss_mb']:.0f} MB "
                  f"({row['commit_rss_before_mb']:.0f} before)", flush=True)
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(str(out) + ".lerec-job", ignore_errors=True)
    return results


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
    p.add_argument("--vcodec", default="h264", help="the re-encode's codec")
    p.add_argument("--preset", default="veryfast", help="the re-encode's preset")
    p.add_argument("--crf", type=float, default=23,
                   help="the re-encode's crf (the source has 30, so every stream is re-encoded)")
    p.add_argument("--encoder-threads", type=int, default=1,
                   help="threads per encoder in every worker (1: one core per worker, so workers scale)")
    p.add_argument("--runs", default="local:1,local:2,ray:2",
                   help="EXECUTOR:WORKERS, ...; slurm:2 runs 2 tasks on --slurm-partition (SLURM_CONF from the "
                        "environment: eval $(.ci/slurm.sh env))")
    p.add_argument("--slurm-partition", default="lerec")
    p.add_argument("--no-merge", action="store_true")
    p.add_argument("--only-merge", action="store_true")
    p.add_argument("--merge-copies", default="2,5,10,25,50", help="how many copies of the source to merge")
    p.add_argument("--heavy-crf", type=int, default=12, help="crf of the source's heavier copy (merge bytes)")
    p.add_argument("--workdir", help="where the outputs go (default: a temporary folder, removed)")
    p.add_argument("--json", help="write every figure here")
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    p.add_argument("--cache", default=os.path.join(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"),
                                                   "lerec-bench"))
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        kind, payload, out = args.child
        result = child_job(json.loads(payload)) if kind == "job" else child_commit(json.loads(payload))
        Path(out).write_text(json.dumps(result))
        return 0
    info = machine_info()
    print(f"machine: {info['nproc']} × {info['cpu']}, {info['memory_gib']} GiB, load {info['loadavg_start']}")
    src = cached_source(args)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="lerec-jobs-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    report = {"machine": info, "source": str(src), "source_mb": dataset_bytes(src) / 1e6, "args": vars(args)}
    try:
        if not args.only_merge:
            print(f"jobs on {src} ({report['source_mb']:.1f} MB): re-encode to {args.vcodec} "
                  f"(preset {args.preset}, crf {args.crf}, {args.encoder_threads} encoder thread(s)), "
                  "validate --decode")
            report["jobs"] = bench_jobs(args, src, workdir)
        if not args.no_merge:
            sources = {"light": src, "heavy": heavy_source(args, src)}
            print("merge: " + ", ".join(f"{k} {dataset_bytes(v) / 1e6:.1f} MB" for k, v in sources.items()))
            report["merge"] = bench_merge(args, sources, [int(n) for n in args.merge_copies.split(",")], workdir)
    finally:
        report["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=1, default=str))
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    summarize(report)
    return 0


def summarize(report: dict) -> None:
    jobs = report.get("jobs") or []
    if jobs:
        print("\n| job | executor | wall (s) | episodes/s | speed-up | commit (s) | commit peak RSS (MB) |")
        print("|---|---|---|---|---|---|---|")
        for r in jobs:
            print(f"| {r['job']} | {r['executor']} × {r['workers']} | {r['job_s']:.1f} | {r['episodes_per_s']:.2f} | "
                  f"{r['speedup'] or 0:.2f}× | {r['commit_s']:.2f} | {r['commit_peak_rss_mb']:.0f} |")
        for kind in ("reencode", "validate"):
            rows = {(r["executor"], r["workers"]): r for r in jobs if r["job"] == kind}
            if ("local", 2) in rows and ("local", 1) in rows:
                print(f"{kind}: 2 local workers {rows[('local', 2)]['speedup']:.2f}× of 1 (target ≥ 1.7)", end="")
                if ("ray", 2) in rows:
                    ratio = rows[("ray", 2)]["job_s"] / rows[("local", 2)]["job_s"]
                    print(f"; Ray × 2 takes {ratio:.2f}× the local time (target ≤ 1.25)", end="")
                print()
    print(f"load average at the end: {report['loadavg_end']}")


if __name__ == "__main__":
    sys.exit(main())
