"""Sensor benchmark: a 200 Hz IMU and 16 kHz audio beside N synthetic VGA cameras for T seconds, and the same
cameras without the sensors, in one run, so the tick lateness compares as a difference measured on one machine.

    python benchmarks/sensors.py                       # 3 x 640x480@30, 60 s, h264 ultrafast
    python benchmarks/sensors.py --seconds 10 --json out.json

Printed per run: tick lateness p50/p99/max (the control loop), and with sensors per stream: samples against
rate x length (the episode's length in frames / fps), the rate measured from the capture times, the longest gap
in periods, whether the capture times strictly increase, the clock event's misalignment between the IMU and the
audio, the bytes stored; then the p99 difference. On a loaded machine the p99 moves by more than the sensors
cost: compare runs taken back to back, and say the machine was loaded.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import anyio
import numpy as np

from lerec import RGBEncoderConfig, Recorder, SyntheticCameraConfig
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.validate import validate
from lerec.dataset.sensors.sensor_store import size_bytes
from lerec.sensors.synthetic import EVENT_SPIKE, SyntheticAudioConfig, SyntheticImuConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import machine_info  # noqa: E402

IMU_HZ, AUDIO_HZ, EVENT_S = 200, 16000, 1.0


async def _record(root: Path, cameras: int, seconds: float, fps: int, vcodec: str, with_sensors: bool):
    cams = {f"cam{i}": SyntheticCameraConfig(width=640, height=480, fps=fps, noise=8) for i in range(cameras)}
    sensors = {"imu": SyntheticImuConfig(hz=IMU_HZ, event_every_s=EVENT_S),
               "mic": SyntheticAudioConfig(sample_rate=AUDIO_HZ, event_every_s=EVENT_S)} if with_sensors else None
    rgb = RGBEncoderConfig(vcodec=vcodec, preset="ultrafast") if vcodec == "h264" else RGBEncoderConfig(vcodec=vcodec)
    async with Recorder.create(root, fps, cams, rgb_encoder=rgb, sensors=sensors) as rec:
        return await rec.record_episode("bench", seconds)


def _stream_figures(reader: DatasetReader, name: str, rate: float) -> dict:
    times, values = reader.stream(0, name)
    duration_s = reader.length(0) / reader.fps
    period = 1e9 / rate
    return {"samples": len(times), "expected": rate * duration_s,
            "count_error_pct": round(100 * (len(times) - rate * duration_s) / (rate * duration_s), 3),
            "measured_hz": round((len(times) - 1) / ((times[-1] - times[0]) / 1e9), 3),
            "longest_gap_periods": round(float(max(np.diff(times).max(), times[0], duration_s * 1e9 - times[-1])
                                               / period), 2),
            "strictly_increasing": bool((np.diff(times) > 0).all())}


def _misalignment_ms(reader: DatasetReader) -> float:
    """The largest distance between an IMU spike and the nearest audio burst onset (the same clock event)."""
    imu_t, imu = reader.stream(0, "imu")
    mic_t, mic = reader.stream(0, "mic")
    spikes = imu_t[imu[:, 1] > EVENT_SPIKE / 2]
    loud = np.abs(mic[:, 0].astype(np.int32)) > 20000
    onsets = mic_t[loud & ~np.concatenate([[False], loud[:-1]])]
    if not len(spikes) or not len(onsets):
        return float("nan")
    return max(float(np.abs(onsets - s).min()) for s in spikes) / 1e6


def run(args) -> dict:
    out = {"machine": machine_info(), "settings": vars(args), "runs": {}}
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for with_sensors in (False, True):
            root = Path(tmp) / ("sensors" if with_sensors else "cameras")
            report = anyio.run(_record, root, args.cameras, args.seconds, args.fps, args.vcodec, with_sensors)
            figures = {"tick_lateness_ms": {"p50": report.tick_lateness_ms_p50, "p99": report.tick_lateness_ms_p99,
                                            "max": report.tick_lateness_ms_max}, "summary": report.summary()}
            if with_sensors:
                with DatasetReader(root) as reader:
                    figures["imu"] = _stream_figures(reader, "imu", IMU_HZ)
                    figures["mic"] = _stream_figures(reader, "mic", AUDIO_HZ)
                    figures["event_misalignment_ms"] = round(_misalignment_ms(reader), 3)
                    figures["bytes"] = {k: size_bytes(root, d, 1, 1000) for k, d in reader.sensor_streams.items()}
                figures["validate"] = [str(p) for p in validate(root)] or "OK"
            out["runs"]["with_sensors" if with_sensors else "cameras_only"] = figures
            print(json.dumps({("with sensors" if with_sensors else "cameras only"): figures}, indent=2))
    runs = out["runs"]
    out["tick_p99_difference_ms"] = round(runs["with_sensors"]["tick_lateness_ms"]["p99"]
                                          - runs["cameras_only"]["tick_lateness_ms"]["p99"], 3)
    print(f"tick p99 with sensors minus without: {out['tick_p99_difference_ms']} ms")
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cameras", type=int, default=3)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--vcodec", default="h264", help="h264 (ultrafast) or any lerec vcodec (default: h264)")
    p.add_argument("--tmp", default=None, help="folder for the datasets (default: the system's temp folder)")
    p.add_argument("--json", help="write the figures to this file")
    args = p.parse_args()
    out = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
