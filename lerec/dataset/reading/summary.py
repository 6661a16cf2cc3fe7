"""What a dataset holds, in numbers: episodes, frames, duration, tasks, and per stream its encoding and size."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from lerec.dataset.sensors.sensor_store import summarize_streams
from lerec.dataset.spec import format as fmt
from lerec.dataset.spec import layout
from lerec.dataset.store.labels import success_by_task
from lerec.dataset.store.metadata import DatasetMeta
from lerec.encoding import video_encoding as venc

DEPTH_KEYS = (fmt.DEPTH_UNIT, *venc.DEPTH_SETTINGS_KEYS)
ENCODER_KEYS = tuple(map(venc.info_key, ("g", "crf", "preset", "fast_decode", "extra_options")))


def summarize(root: str | Path) -> dict[str, Any]:
    """A JSON-ready summary of the dataset at ``root``."""
    meta = DatasetMeta.load(root)
    root = Path(root)
    fps = meta.fps
    frames = sum(r.length for r in meta.episodes)
    tasks = Counter(task for r in meta.episodes for task in (r.tasks or ()))
    data_files = layout.find(root, fmt.DATA_FILES)
    out: dict[str, Any] = {
        "root": str(root),
        "codebase_version": meta.info.get("codebase_version"),
        "robot_type": meta.info.get("robot_type"),
        "fps": fps,
        "episodes": len(meta.episodes),
        "frames": frames,
        "duration_s": frames / fps if fps else 0.0,
        "tasks": {task: tasks.get(task, 0) for task in meta.tasks},
        "success": success_by_task(meta),
        "data": {"files": len(data_files), "bytes": sum(p.stat().st_size for p in data_files)},
        "features": {k: {"dtype": f["dtype"], "shape": f["shape"]} for k, f in meta.features.items()
                     if f["dtype"] not in ("video", "image")},
        "streams": {},
    }
    for key, feature in meta.features.items():
        if feature["dtype"] not in ("video", "image"):
            continue
        info = feature.get("info") or {}
        stream: dict[str, Any] = {"dtype": feature["dtype"], "shape": feature["shape"],
                                  "depth": fmt.is_depth_feature(feature)}
        if feature["dtype"] == "video":
            files = layout.find(root, fmt.video_files(key))
            size = sum(p.stat().st_size for p in files)
            stream.update({
                "codec": info.get(venc.CODEC), "pix_fmt": info.get(venc.PIX_FMT),
                "width": info.get(venc.WIDTH), "height": info.get(venc.HEIGHT), "fps": info.get(venc.FPS),
                "files": len(files), "bytes": size,
                "bitrate_kbps": round(size * 8 / 1000 / (frames / fps), 1) if frames else None,
                "bytes_per_frame": round(size / frames) if frames else None,
                "encoder": {venc.info_field(k): info[k] for k in ENCODER_KEYS if k in info},
            })
            stream["encoder"].update(_preset_used(info))
        if stream["depth"]:
            stream["depth_settings"] = {venc.info_field(k): info.get(k) for k in DEPTH_KEYS}
        out["streams"][key] = stream
    out["sensor_streams"] = summarize_streams(root, len(meta.episodes), out["duration_s"],
                                              int(meta.info["chunks_size"]))
    return out


def _preset_used(info: dict[str, Any]) -> dict[str, Any]:
    """``{"preset_used": 11}`` where SVT-AV1 runs another preset than the one recorded (12 runs as 11)."""
    preset = info.get(venc.info_key("preset"))
    if info.get(venc.CODEC) != "av1" or not isinstance(preset, int) or isinstance(preset, bool):
        return {}
    from lerec.encoding.svt_preset import svtav1_preset_used

    used = svtav1_preset_used(preset)
    return {"preset_used": used} if used is not None and used != preset else {}


def format_summary(s: dict[str, Any]) -> str:
    """The summary as text for a terminal."""
    robot = f"robot {s['robot_type']}" if s["robot_type"] else "no robot type recorded"
    lines = [
        f"{s['root']}  (LeRobot {s['codebase_version']}, {robot})",
        f"  {plural(s['episodes'], 'episode')}, {plural(s['frames'], 'frame')}, {s['duration_s']:.1f} s "
        f"at {s['fps']} fps",
        f"  data: {s['data']['files']} parquet file(s), {_size(s['data']['bytes'])}",
        "  tasks:",
        *[f"    {n:5d} ep  {task}{_success(s['success'].get(task))}" for task, n in s["tasks"].items()],
        "  features:",
        *[f"    {k}: {f['dtype']} {f['shape']}" for k, f in s["features"].items()],
        "  streams:",
    ]
    for key, st in s["streams"].items():
        if st["dtype"] == "image":
            lines.append(f"    {key}: images in parquet {st['shape']}")
            continue
        lines.append(
            f"    {key}: {st['codec']} {st['pix_fmt']} {st['width']}x{st['height']} @ {st['fps']} fps, "
            f"{st['bitrate_kbps']} kb/s, {st['files']} file(s) {_size(st['bytes'])} "
            f"({_size(st['bytes_per_frame'] or 0)}/frame)")
        settings = dict(st["encoder"])
        if "preset_used" in settings:  # a recorded preset this SVT-AV1 does not have: what it does, and that it is fine
            used = settings.pop("preset_used")
            fastest = ", the fastest it has" if used < settings["preset"] else ""
            settings["preset"] = (f"{settings['preset']} (this SVT-AV1 runs it as preset {used}{fastest}; "
                                  "nothing to change)")
        enc = ", ".join(f"{k}={v}" for k, v in settings.items())
        if enc:
            lines.append(f"      encoder: {enc}")
        if st["depth"]:
            lines.append("      depth: " + ", ".join(f"{k}={v}" for k, v in st["depth_settings"].items()))
    if s.get("sensor_streams"):
        lines.append("  sensor streams (lerec's own, beside the frames):")
    for key, st in s.get("sensor_streams", {}).items():
        stored = f"{st['codec']} audio" if st["codec"] else f"{st['dtype']} parquet"
        lines.append(f"    {key}: {st['type']}, {st['channels']} channel(s) at {st['rate_hz']:g} Hz "
                     f"({st['measured_hz']} Hz measured), {st['samples']} samples, {stored}, {_size(st['bytes'])}")
    return "\n".join(lines)


def _success(counts: dict[str, Any] | None) -> str:
    """``  (success 2/3 labelled, 67%; 1 unlabelled)`` when some episodes of the task are labelled."""
    if not counts or counts["success_rate"] is None:
        return ""
    labelled = counts["succeeded"] + counts["failed"]
    unlabelled = counts["episodes"] - labelled
    return (f"  (success {counts['succeeded']}/{labelled} labelled, {counts['success_rate']:.0%}"
            + (f"; {unlabelled} unlabelled)" if unlabelled else ")"))


def plural(n: int, noun: str) -> str:
    """``1 episode``, ``2 episodes``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
