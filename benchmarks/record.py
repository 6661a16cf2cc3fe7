"""Recording benchmark: N synthetic cameras at W×H@fps for T seconds, lerec against the encoders' own speed and
against LeRobot's writer doing the same work, measured in one run so that the figures compare as ratios.

    python benchmarks/record.py                                  # 3 × 640×480@30, 20 s, libsvtav1
    python benchmarks/record.py --vcodec h264 --json out.json
    python benchmarks/record.py --lerobot-python /opt/lerobot-venv/bin/python

Printed for lerec: achieved fps, control-loop tick lateness p50/p99/max, frames repeated and spilled per stream,
video frames (demuxed from the MP4s) against parquet rows per camera and episode, and whether decoded frame k
shows the camera frame row k recorded (its barcode), the save latency (after the episode's end, and after its
last tick), peak RSS, CPU time, and whether any thread ran at real-time priority. Then the raw encoder
throughput: the same frames encoded by PyAV alone with the same settings, one encoder and N in parallel, so the
pipeline's throughput is a ratio of the physical limit. Then LeRobot (``lerobot_record.py``, run with LeRobot's
interpreter) and the ratios.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import anyio
import av
import numpy as np

from lerec import RGBEncoderConfig, Recorder, SyntheticCameraConfig
from lerec.cameras.synthetic import synthetic_rgb
from lerec.encoding.ffmpeg_mapping import encoder_name
from lerec.encoding.realtime import realtime_threads
from lerec.encoding.validation import resolve_encoder_config
from lerec.recording.session_setup import threads_per_stream

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset_check import check_dataset, frames_lost, wrong_frames  # noqa: E402
from limits import apply_limits  # noqa: E402
from measure import cpu_seconds, machine_info, peak_rss_mb  # noqa: E402
from realtime_watch import RealtimeWatch  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_LEROBOT_PYTHON = Path("/opt/lerobot-venv/bin/python")
STATE_DIM = 6


# --- the machine ---------------------------------------------------------------------------------------------

async def record_with_lerec(args, root: Path) -> dict:
    cameras = {
        f"cam{i}": SyntheticCameraConfig(width=args.width, height=args.height, fps=args.fps, noise=args.noise)
        for i in range(args.cameras)
    }
    names = [f"joint{i}" for i in range(STATE_DIM)]
    features = {
        "observation.state": {"dtype": "float32", "shape": [STATE_DIM], "names": names},
        "action": {"dtype": "float32", "shape": [STATE_DIM], "names": names},
    }
    tick = 0

    def step():
        nonlocal tick
        state = np.full(STATE_DIM, tick, dtype=np.float32)
        tick += 1
        return {"observation.state": state, "action": state + 1}

    episodes = []
    cpu0 = cpu_seconds()
    with RealtimeWatch() as watch:
        async with Recorder.create(root, args.fps, cameras, features, rgb_encoder=rgb_config(args),
                                   encoder_threads=args.encoder_threads,
                                   encoder_queue_maxsize=args.encoder_queue_maxsize) as rec:
            # The cameras' and the idle loop's own CPU, so that the pipeline's per frame can be told net of it: the
            # synthetic cameras make frames all along, and on a loaded machine the episode's drain lasts long.
            idle0, idle_wall0 = cpu_seconds(), time.perf_counter()
            await anyio.sleep(args.idle_seconds)
            idle_cpu_per_s = (cpu_seconds() - idle0) / (time.perf_counter() - idle_wall0)
            episodes_cpu0, episodes_wall0 = cpu_seconds(), time.perf_counter()
            for _ in range(args.episodes):
                report = await rec.record_episode("bench", args.seconds, step=step)
                episodes.append(report)
                print(f"  {report.summary()}", flush=True)
            episodes_cpu_s, episodes_wall_s = cpu_seconds() - episodes_cpu0, time.perf_counter() - episodes_wall0
    return {
        "idle_cpu_per_s": idle_cpu_per_s,
        "episodes_cpu_s": episodes_cpu_s,
        "episodes_wall_s": episodes_wall_s,
        "reports": episodes,
        "cpu_s": cpu_seconds() - cpu0,
        "peak_rss_mb": peak_rss_mb(),
        "realtime": watch.result,
        "realtime_text": watch.describe(),
        "realtime_after": len(realtime_threads()),
    }


def rgb_config(args) -> RGBEncoderConfig:
    fields = {"vcodec": args.vcodec}
    for name in ("crf", "preset", "g"):
        value = getattr(args, name)
        if value is not None:
            fields[name] = value
    return RGBEncoderConfig(**fields)


# --- what is in the datasets ----------------------------------------------------------------------------------

def encode_alone(frames: list[np.ndarray], args, options: dict[str, str]) -> tuple[float, int]:
    """Encode ``frames`` with PyAV alone into an in-memory MP4; returns (seconds, bytes)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream(encoder_name(args.vcodec), rate=args.fps, options=dict(options))
        stream.width, stream.height, stream.pix_fmt = args.width, args.height, rgb_config(args).pix_fmt
        start = time.perf_counter()
        for k, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = k
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        seconds = time.perf_counter() - start
    return seconds, buffer.getbuffer().nbytes


def raw_encoder_throughput(args) -> dict:
    """Frames/s of one encoder, and of N encoders in parallel threads (what N cameras need), on the frames the
    cameras made, with the options the recorder gives the encoder."""
    count = args.raw_frames
    frames = [synthetic_rgb(n, args.width, args.height, args.noise) for n in range(count)]
    config = resolve_encoder_config(rgb_config(args), channels=3, width=args.width, height=args.height,
                                    encoder_threads=args.encoder_threads)
    # As the recorder does: the cores shared among the encoders running at once, unless --encoder-threads.
    options = config.ffmpeg_options(args.encoder_threads or threads_per_stream(args.cameras))
    with RealtimeWatch() as watch_one:
        one_s, one_bytes = encode_alone(frames, args, config.ffmpeg_options(args.encoder_threads or threads_per_stream(1)))
    results: list[float] = [0.0] * args.cameras
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = encode_alone(frames, args, options)[0]
        except BaseException as exc:  # surfaced below, after join
            errors.append(exc)

    with RealtimeWatch() as watch_n:
        cpu0 = cpu_seconds()
        start = time.perf_counter()
        threads = [threading.Thread(target=run, args=(i,)) for i in range(args.cameras)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        parallel_s = time.perf_counter() - start
        parallel_cpu_s = cpu_seconds() - cpu0
    if errors:
        raise errors[0]
    return {
        "frames": count,
        "options": options,  # of each of the parallel encoders
        "one_fps": count / one_s,
        "one_kib_per_frame": one_bytes / count / 1024,
        "parallel_fps": args.cameras * count / parallel_s,
        "parallel_cpu_ms_per_frame": parallel_cpu_s * 1000 / (args.cameras * count),
        "realtime_one": watch_one.describe(),
        "realtime_parallel": watch_n.describe(),
    }


# --- LeRobot's side -------------------------------------------------------------------------------------------

def load_lerobot_script():
    spec = importlib.util.spec_from_file_location("lerobot_record", HERE / "lerobot_record.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_same_frames(args) -> None:
    """The LeRobot side makes its frames with its own copy of the synthetic camera's function: same pixels?"""
    module = load_lerobot_script()
    for n in (0, 1, 37, 600):
        if not np.array_equal(module.synthetic_rgb(n, args.width, args.height, args.noise),
                              synthetic_rgb(n, args.width, args.height, args.noise)):
            raise SystemExit(f"benchmarks/lerobot_record.py makes other frames than lerec's synthetic camera (n={n})")


def run_lerobot(args, python: Path, workdir: Path) -> dict | None:
    out = workdir / "lerobot.json"
    log_path = workdir / "lerobot.log"
    command = [
        str(python), str(HERE / "lerobot_record.py"), "--cameras", str(args.cameras), "--width", str(args.width),
        "--height", str(args.height), "--fps", str(args.fps), "--seconds", str(args.seconds),
        "--episodes", str(args.episodes), "--noise", str(args.noise), "--vcodec", args.vcodec,
        "--root", str(workdir / "lerobot"), "--json", str(out),
    ]
    if args.preset is not None:
        command += ["--preset", str(args.preset)]
    if args.lerobot_queue is not None:
        command += ["--encoder-queue-maxsize", str(args.lerobot_queue)]
    if args.encoder_threads is not None:
        command += ["--encoder-threads", str(args.encoder_threads)]
    with open(log_path, "w") as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, timeout=args.seconds * args.episodes * 20 + 600)
    for line in log_path.read_text().splitlines():
        if line.startswith("LeRobot ") or "dropped" in line:
            print(f"  {line}")
    if done.returncode != 0 or not out.exists():
        print(f"  LeRobot run failed (exit {done.returncode}); its output: {log_path}")
        return None
    result = json.loads(out.read_text())
    result["log"] = str(log_path)
    return result


# --- printing -------------------------------------------------------------------------------------------------

def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def print_lerec(lerec_run: dict, checked: list[dict], base_rss: float) -> None:
    for report, check in zip(lerec_run["reports"], checked):
        print(f"  episode {report.episode_index}: {report.length} rows in {report.duration_s:.2f} s "
              f"({report.achieved_fps:.2f} fps); tick lateness p50/p99/max {report.tick_lateness_ms_p50:.2f}/"
              f"{report.tick_lateness_ms_p99:.2f}/{report.tick_lateness_ms_max:.2f} ms; "
              f"saved {report.save_latency_s * 1000:.0f} ms after its end "
              f"({report.save_after_last_tick_s * 1000:.0f} ms after the last tick)")
        print(f"    {'stream':<26} {'frames':>6} {'repeated':>8} {'frame age p50/max':>17} {'spilled':>7} "
              f"{'max queue':>9} {'encode lag':>10} {'video frames':>12} {'rows':>5} {'wrong':>5}")
        for key, stream in report.streams.items():
            seen = check["streams"][key]
            age = f"{seen.get('frame_age_ms_p50', 0):.1f}/{stream.oldest_frame_age_s * 1000:.1f} ms"
            print(f"    {key:<26} {stream.frames:>6} {stream.repeated:>8} {age:>17} {stream.spilled:>7} "
                  f"{stream.max_queue_depth:>9} {stream.encode_lag_s:>9.2f}s {seen['video_frames']:>12} "
                  f"{check['rows']:>5} {seen.get('wrong_frames', '-'):>5}")
    print(f"  peak RSS {lerec_run['peak_rss_mb']:.0f} MB ({lerec_run['peak_rss_mb'] - base_rss:.0f} MB above "
          f"imports); CPU {lerec_run['cpu_s']:.1f} s")
    print(f"  real-time threads while recording: {lerec_run['realtime_text']}")
    if lerec_run.get("cgroup_peak_mb") is not None:
        print(f"  memory cgroup peak (RSS and page cache): {lerec_run['cgroup_peak_mb']:.0f} MB")


def summarize(args, lerec_run, lerec_checked, raw, lerobot, lerobot_checked) -> dict:
    reports = lerec_run["reports"]
    ours = {
        "loop_fps": float(np.mean([r.achieved_fps for r in reports])),
        "tick_lateness_ms_p50": max(r.tick_lateness_ms_p50 for r in reports),
        "tick_lateness_ms_p99": max(r.tick_lateness_ms_p99 for r in reports),
        "tick_lateness_ms_max": max(r.tick_lateness_ms_max for r in reports),
        "save_latency_s": max(r.save_latency_s for r in reports),
        "save_after_last_tick_s": max(r.save_after_last_tick_s for r in reports),
        "repeated": sum(s.repeated for r in reports for s in r.streams.values()),
        "frame_age_ms_p50": max((s.get("frame_age_ms_p50", 0.0) for e in lerec_checked for s in e["streams"].values()),
                                default=0.0),
        "oldest_frame_ms": max((s.oldest_frame_age_s * 1000 for r in reports for s in r.streams.values()), default=0.0),
        "spilled": sum(s.spilled for r in reports for s in r.streams.values()),
        "frames_lost": frames_lost(lerec_checked),
        "wrong_frames": wrong_frames(lerec_checked),
        "videos_equal_rows": all(s["video_frames"] == e["rows"] == e["length"]
                                 for e in lerec_checked for s in e["streams"].values()),
        "peak_rss_mb": lerec_run["peak_rss_mb"],
        "cpu_s": lerec_run["cpu_s"],
        "realtime": lerec_run["realtime"],
    }
    encoded = sum(s.frames for r in reports for s in r.streams.values())
    busy = sum(r.duration_s + r.save_latency_s for r in reports)
    ours["pipeline_encode_fps"] = encoded / busy
    ours["pipeline_efficiency"] = ours["pipeline_encode_fps"] / raw["parallel_fps"] if raw else None
    # CPU time per encoded frame: unlike fps, robust on a loaded machine. Against the raw encoders' it says how
    # much the pipeline adds (camera frames, copies, conversions, statistics, spill, the loop).
    ours["cpu_ms_per_frame"] = lerec_run["cpu_s"] * 1000 / encoded if encoded else None
    net_s = lerec_run["episodes_cpu_s"] - lerec_run["idle_cpu_per_s"] * lerec_run["episodes_wall_s"]
    ours["idle_cpu_ms_per_s"] = lerec_run["idle_cpu_per_s"] * 1000
    ours["net_cpu_ms_per_frame"] = net_s * 1000 / encoded if encoded else None
    ours["cpu_vs_raw_encoders"] = ours["cpu_ms_per_frame"] / raw["parallel_cpu_ms_per_frame"] if raw and encoded else None
    theirs = None
    if lerobot:
        eps = lerobot["episodes"]
        theirs = {
            "loop_fps": float(np.mean([e["loop_fps"] for e in eps])),
            "add_frame_ms_p50": max(e["add_frame_ms_p50"] for e in eps),
            "add_frame_ms_p99": max(e["add_frame_ms_p99"] for e in eps),
            "add_frame_ms_max": max(e["add_frame_ms_max"] for e in eps),
            "overrun_ms_p99": max(e["overrun_ms_p99"] for e in eps),
            "overrun_ms_max": max(e["overrun_ms_max"] for e in eps),
            "save_episode_s": max(e["save_episode_s"] for e in eps),
            "rows": sum(e["rows"] for e in eps),
            "frames_lost": frames_lost(lerobot_checked) if lerobot_checked else sum(e["frames_lost"] for e in eps),
            "wrong_frames": wrong_frames(lerobot_checked) if lerobot_checked else None,
            "peak_rss_mb": lerobot["peak_rss_mb"],
            "rss_after_import_mb": lerobot["rss_after_import_mb"],
            "cpu_s": lerobot["cpu_s"],
            "realtime": lerobot.get("realtime"),
            "lerobot_version": lerobot["lerobot_version"],
            "pyav": lerobot["pyav"],
            "ffmpeg": lerobot["ffmpeg"],
        }
    return {"ours": ours, "lerobot": theirs}


def print_comparison(summary: dict, expected_rows: int) -> None:
    ours, theirs = summary["ours"], summary["lerobot"]
    if theirs is None:
        return
    ratio = lambda a, b: f"{a / b:.2f}×" if b else "-"  # noqa: E731
    rows = [
        ("loop fps", f"{ours['loop_fps']:.2f}", f"{theirs['loop_fps']:.2f}", ratio(ours["loop_fps"], theirs["loop_fps"])),
        ("loop stall p99 (ms)¹", f"{ours['tick_lateness_ms_p99']:.2f}", f"{theirs['add_frame_ms_p99']:.1f}",
         ratio(ours["tick_lateness_ms_p99"], theirs["add_frame_ms_p99"])),
        ("loop stall max (ms)¹", f"{ours['tick_lateness_ms_max']:.2f}", f"{theirs['add_frame_ms_max']:.1f}",
         ratio(ours["tick_lateness_ms_max"], theirs["add_frame_ms_max"])),
        ("save after the episode (s)²", f"{ours['save_latency_s']:.3f}", f"{theirs['save_episode_s']:.3f}",
         ratio(ours["save_latency_s"], theirs["save_episode_s"])),
        ("save after the last tick (s)", f"{ours['save_after_last_tick_s']:.3f}", "-", ""),
        ("frames lost (video < rows)", str(ours["frames_lost"]), str(theirs["frames_lost"]), ""),
        ("decoded frames ≠ recorded", str(ours["wrong_frames"]), str(theirs["wrong_frames"]), ""),
        ("rows", str(expected_rows), str(theirs["rows"]), ""),
        ("peak RSS (MB)", f"{ours['peak_rss_mb']:.0f}", f"{theirs['peak_rss_mb']:.0f}",
         ratio(ours["peak_rss_mb"], theirs["peak_rss_mb"])),
        ("CPU time (s)", f"{ours['cpu_s']:.1f}", f"{theirs['cpu_s']:.1f}", ratio(ours["cpu_s"], theirs["cpu_s"])),
    ]
    print(f"\n{'':<28} {'lerec':>10} {'LeRobot':>10} {'ratio':>7}")
    for name, a, b, r in rows:
        print(f"{name:<28} {a:>10} {b:>10} {r:>7}")
    print("¹ lerec: control-loop tick lateness; LeRobot: add_frame time (its loop stalls for as long).")
    print("² worst episode, from the end of its last frame's period; LeRobot: its save_episode call, made after "
          "its loop slept out that period.")


def print_acceptance(args, summary: dict) -> bool:
    ours = summary["ours"]
    checks = [
        ("0 frames lost, video frames == rows for every camera",
         ours["frames_lost"] == 0 and ours["videos_equal_rows"] and not ours["wrong_frames"],
         f"lost {ours['frames_lost']}, wrong {ours['wrong_frames']}"),
        ("tick lateness p99 < 5 ms", ours["tick_lateness_ms_p99"] < 5.0, f"{ours['tick_lateness_ms_p99']:.2f} ms"),
    ]
    if encoder_name(args.vcodec) == "libx264":
        checks.append(("h264: save latency < 100 ms", ours["save_latency_s"] < 0.1,
                       f"{ours['save_latency_s'] * 1000:.0f} ms after the episode's end, "
                       f"{ours['save_after_last_tick_s'] * 1000:.0f} ms after its last tick"))
    print("\nacceptance (issue 2):")
    for name, ok, value in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {name}: {value}")
    return all(ok for _, ok, _ in checks)


# --- main -----------------------------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=3)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each episode")
    parser.add_argument("--episodes", type=int, default=1)
    parser.add_argument("--noise", type=int, default=8, help="texture amplitude of the synthetic frames")
    parser.add_argument("--vcodec", default="libsvtav1", help="libsvtav1 (default), h264, hevc, ...")
    parser.add_argument("--crf", type=float, default=None)
    parser.add_argument("--preset", default=None)
    parser.add_argument("--g", type=int, default=None)
    parser.add_argument("--encoder-threads", type=int, default=None)
    parser.add_argument("--encoder-queue-maxsize", type=int, default=10, help="lerec frames in memory per stream")
    parser.add_argument("--lerobot-queue", type=int, default=None, help="LeRobot's encoder_queue_maxsize (its default 30)")
    parser.add_argument("--idle-seconds", type=float, default=3.0,
                        help="seconds the session rests before recording, to measure the cameras' own CPU")
    parser.add_argument("--raw-frames", type=int, default=300, help="frames per encoder in the raw throughput test")
    parser.add_argument("--no-decode", action="store_true", help="count video frames without decoding barcodes")
    parser.add_argument("--lerobot-python", type=Path, default=None,
                        help=f"LeRobot's interpreter (default {DEFAULT_LEROBOT_PYTHON} if it exists)")
    parser.add_argument("--no-lerobot", action="store_true")
    parser.add_argument("--workdir", type=Path, default=None, help="where the datasets go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the datasets")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    parser.add_argument("--cpus", default=None,
                        help="run everything (lerec, the raw encoders, LeRobot) on these CPUs, as taskset -c: 0, 0-1")
    parser.add_argument("--memory", default=None,
                        help="run everything in a memory cgroup with this limit, e.g. 2G (needs root or a delegated "
                        "cgroup; else use systemd-run --user --scope -p MemoryMax=2G)")
    args = parser.parse_args(argv)
    if args.lerobot_python is not None and not args.no_lerobot and not os.access(args.lerobot_python, os.X_OK):
        parser.error(f"--lerobot-python {args.lerobot_python}: no such interpreter (LeRobot's venv python, such as "
                     f"{DEFAULT_LEROBOT_PYTHON}; --no-lerobot runs lerec alone)")
    if args.preset is not None and args.preset.lstrip("-").isdigit():
        args.preset = int(args.preset)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    limits, cgroup = apply_limits(args.cpus, args.memory)  # before any thread or child starts
    base_rss = peak_rss_mb()
    machine = machine_info()
    lerobot_python = args.lerobot_python
    if lerobot_python is None and not args.no_lerobot and DEFAULT_LEROBOT_PYTHON.exists():
        lerobot_python = DEFAULT_LEROBOT_PYTHON
    if args.no_lerobot:
        lerobot_python = None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lerec-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    config = rgb_config(args)
    expected_rows = int(round(args.seconds * args.fps)) * args.episodes

    print(f"lerec recording benchmark, {machine['date_utc']}")
    print(f"machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory_gib']} GiB, Linux "
          f"{machine['kernel']}, Python {machine['python']}, PyAV {machine['pyav']} (FFmpeg {machine['ffmpeg']}), "
          f"{'root' if machine['root'] else 'not root'}, load average {machine['loadavg_start']}")
    print(f"limits: {limits}")
    print(f"work: {args.cameras} cameras × {args.width}×{args.height}@{args.fps} fps, {args.episodes} episode(s) of "
          f"{args.seconds:g} s, {config.vcodec} {config.ffmpeg_options(args.encoder_threads)}, "
          f"{args.encoder_queue_maxsize} frames in memory per stream, texture noise={args.noise}")
    if lerobot_python:
        check_same_frames(args)

    print("\nlerec")
    lerec_run = anyio.run(record_with_lerec, args, workdir / "lerec")
    if cgroup is not None:
        lerec_run["cgroup_peak_mb"] = cgroup.peak_mb()
    lerec_checked = check_dataset(
        workdir / "lerec", lambda episode, key: episode[f"lerec/{key}/camera_seq"], decode=not args.no_decode
    )
    print_lerec(lerec_run, lerec_checked, base_rss)

    print(f"\nencoders alone (PyAV, same settings, same frames, {args.raw_frames} frames each)")
    raw = raw_encoder_throughput(args)
    needed = args.cameras * args.fps
    print(f"  1 encoder: {raw['one_fps']:.1f} fps ({raw['one_kib_per_frame']:.1f} KiB/frame); "
          f"{args.cameras} in parallel: {raw['parallel_fps']:.1f} fps in total; the cameras need {needed} fps")
    print(f"  CPU time {raw['parallel_cpu_ms_per_frame']:.2f} ms per frame ({args.cameras} in parallel)")
    print(f"  real-time threads: 1 encoder {raw['realtime_one']}; {args.cameras} in parallel {raw['realtime_parallel']}")

    lerobot = lerobot_checked = None
    if lerobot_python:
        print(f"\nLeRobot ({lerobot_python})")
        if cgroup is not None:
            cgroup.reset_peak()
        lerobot = run_lerobot(args, lerobot_python, workdir)
        if lerobot and cgroup is not None:
            lerobot["cgroup_peak_mb"] = cgroup.peak_mb()
            print(f"  memory cgroup peak (RSS and page cache): {lerobot['cgroup_peak_mb']:.0f} MB")
        if lerobot:
            seqs = {e["episode_index"]: e["camera_seq"] for e in lerobot["episodes"]}
            lerobot_checked = check_dataset(
                Path(lerobot["root"]), lambda episode, key: seqs[int(episode["episode_index"])][key],
                decode=not args.no_decode,
            )
            for entry in lerobot_checked:
                print(f"  episode {entry['episode_index']}: rows {entry['rows']}, video frames "
                      f"{[s['video_frames'] for s in entry['streams'].values()]}, decoded frames showing another "
                      f"camera frame than recorded {[s.get('wrong_frames') for s in entry['streams'].values()]}")
            if lerobot.get("realtime"):
                rt = lerobot["realtime"]
                print(f"  real-time threads while recording: up to {rt['max_realtime_threads']}, in "
                      f"{rt['samples_with_realtime']} of {rt['samples']} samples")

    summary = summarize(args, lerec_run, lerec_checked, raw, lerobot, lerobot_checked)
    ours = summary["ours"]
    print(f"\npipeline: {ours['pipeline_encode_fps']:.1f} encoded fps from first tick to saved "
          f"= {ours['pipeline_efficiency']:.2f} of the {args.cameras} raw encoders in parallel"
          + ("" if ours["spilled"] or ours["save_latency_s"] > 1 else
             " (encoders kept up: bounded by the cameras' rate, not a measure of efficiency)"))
    print(f"pipeline CPU: {ours['cpu_ms_per_frame']:.2f} ms per encoded frame (everything the process did, "
          f"camera included) = {ours['cpu_vs_raw_encoders']:.2f}× the raw encoders' "
          f"{raw['parallel_cpu_ms_per_frame']:.2f} ms; net of the cameras and the idle loop "
          f"({ours['idle_cpu_ms_per_s']:.0f} ms of CPU per second at rest): {ours['net_cpu_ms_per_frame']:.2f} ms "
          f"= {ours['net_cpu_ms_per_frame'] / raw['parallel_cpu_ms_per_frame']:.2f}×")
    print_comparison(summary, expected_rows)
    passed = print_acceptance(args, summary)
    print(f"load average at the end: {[round(x, 2) for x in os.getloadavg()]}")

    if args.json:
        record = {
            "machine": machine,
            "limits": limits,
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "lerec": {**{k: v for k, v in lerec_run.items() if k != "reports"},
                      "episodes": [report_dict(r) for r in lerec_run["reports"]], "checked": lerec_checked},
            "raw": raw,
            "lerobot": None if lerobot is None else {
                **{k: v for k, v in lerobot.items() if k != "episodes"},
                "episodes": [{k: v for k, v in e.items() if k != "camera_seq"} for e in lerobot["episodes"]],
                "checked": lerobot_checked,
            },
            "summary": summary,
            "loadavg_end": list(os.getloadavg()),
        }
        args.json.write_text(json.dumps(record, indent=1, default=str))
    if not args.keep and args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if passed else 1


def report_dict(report) -> dict:
    return {
        "episode_index": report.episode_index, "length": report.length, "duration_s": report.duration_s,
        "achieved_fps": report.achieved_fps, "tick_lateness_ms_p50": report.tick_lateness_ms_p50,
        "tick_lateness_ms_p99": report.tick_lateness_ms_p99, "tick_lateness_ms_max": report.tick_lateness_ms_max,
        "save_latency_s": report.save_latency_s, "save_after_last_tick_s": report.save_after_last_tick_s,
        "streams": {k: {"frames": s.frames, "repeated": s.repeated, "spilled": s.spilled,
                        "max_queue_depth": s.max_queue_depth, "encode_lag_s": s.encode_lag_s}
                    for k, s in report.streams.items()},
    }


if __name__ == "__main__":
    sys.exit(main())
