"""A camera that stops delivering ends the episode with a CameraError instead of being saved as frozen frames;
the report and the dataset say how old the frames a tick used were."""

import io
import json
import logging
import re
import time
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from lerec import Recorder
from lerec.dataset.store.metadata import DatasetMeta
from lerec.errors import CameraError

from recording_fixtures import FAST_H264, STATE, CountingRobot, episode_frames, record, small_camera

A, B = "observation.images.a", "observation.images.b"


def files_of(root: Path) -> dict[str, bytes]:
    """The committed part of a dataset: data, videos and the episodes table, byte for byte."""
    return {str(p.relative_to(root)): p.read_bytes() for folder in ("data", "videos", "meta/episodes")
            for p in sorted((root / folder).rglob("*")) if p.is_file()}


async def test_stalled_camera_ends_the_episode_and_keeps_the_saved_ones(dataset_root):
    await record(dataset_root, {"a": small_camera(), "b": small_camera()}, episodes=2, num_frames=10)
    saved = files_of(dataset_root)
    # Camera a delivers frame 0, then nothing for 60 s; b is fine.
    cams = {"a": small_camera(stall_at=1, stall_s=60), "b": small_camera()}
    async with Recorder.create(dataset_root, 30, cams, STATE, rgb_encoder=FAST_H264, resume=True,
                               max_frame_age_s={"a": 0.3}) as rec:
        with pytest.raises(CameraError, match=r"camera 'a' stream 'color': no new frame for \d+\.\d s") as err:
            await rec.record_episode("stalls", num_frames=300, step=CountingRobot())
    assert err.value.camera == "a" and err.value.stream == "color"
    # A camera can be late, never early: the limit was passed before the error, however loaded the machine.
    assert float(re.search(r"no new frame for (\d+\.\d) s", str(err.value)).group(1)) >= 0.3
    assert files_of(dataset_root) == saved
    meta = DatasetMeta.load(dataset_root)
    assert meta.info["total_episodes"] == 2 and len(meta.episodes) == 2
    for e in range(2):
        assert len(episode_frames(dataset_root, A, e)) == len(episode_frames(dataset_root, B, e)) == 10


async def test_report_holds_the_oldest_frame_age_and_warns_past_two_periods(dataset_root, caplog):
    # A 5 fps camera in a 30 fps dataset: its frames are up to a fifth of a second old by design, never
    # "no new frame" (the default limit is 10 of its periods, at least 2 s); a 30 fps camera is the other stream.
    caplog.set_level(logging.WARNING, logger="lerec.recording.recorder")
    cams = {"a": small_camera(fps=5), "b": small_camera()}
    reports = await record(dataset_root, cams, num_frames=30)
    meta = DatasetMeta.load(dataset_root)
    for key in (A, B):
        ages = meta.episodes[0][f"lerec/{key}/capture_age_us"]
        assert reports[0].streams[key].oldest_frame_age_s == max(ages) / 1e6 > 0
    # The warning names the streams that used frames older than two periods (of the camera or the clock).
    oldest = {key: reports[0].streams[key].oldest_frame_age_s for key in (A, B)}
    two_periods = {A: 2 / 5, B: 2 / 30}
    warned = {key for key in (A, B) if f"{key} used frames up to" in caplog.text}
    assert warned == {key for key in (A, B) if oldest[key] > two_periods[key]}
    assert "oldest frame" in reports[0].summary()


def lerec_record(*args, timeout=180):
    return subprocess.run([sys.executable, "-m", "lerec", "record", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_cli_stalled_camera_exits_non_zero_and_reports_it_once(tmp_path):
    # The repro: camera a stalls at frame 30 for 60 s, b is fine, three episodes.
    root = tmp_path / "d"
    cams = ("{a: {type: synthetic, width: 64, height: 48, stall_at: 30, stall_s: 60},"
            " b: {type: synthetic, width: 64, height: 48}}")
    done = lerec_record(f"--dataset.root={root}", "--dataset.num_episodes=3", "--dataset.episode_time_s=1",
                        f"--cameras={cams}", "--dataset.rgb_encoder.vcodec=libsvtav1",
                        "--dataset.rgb_encoder.preset=12")
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("no new frame for") == 1, done.stderr
    assert "lerec record: error: camera 'a' stream 'color': no new frame for" in done.stderr
    assert "Svt[error]" not in done.stderr and "Traceback" not in done.stderr
    # The episode the stall reached the limit in is not saved; those before it are whole: frames equal rows.
    info = json.loads((root / "meta/info.json").read_text())
    meta = DatasetMeta.load(root)
    assert len(meta.episodes) == info["total_episodes"] < 3
    for row in meta.episodes:
        for key in (A, B):
            assert len(episode_frames(root, key, row["episode_index"])) == row["length"]


def test_cli_per_camera_limit_lets_a_pausing_camera_record(tmp_path):
    root = tmp_path / "p"
    cams = ("{a: {type: synthetic, width: 64, height: 48, stall_at: 3, stall_s: 0.6, max_frame_age_s: 30},"
            " b: {type: synthetic, width: 64, height: 48}}")
    done = lerec_record(f"--dataset.root={root}", "--dataset.num_episodes=1", "--dataset.episode_time_s=1",
                        f"--cameras={cams}", "--dataset.rgb_encoder.vcodec=h264", "--dataset.max_frame_age_s=30")
    assert done.returncode == 0, done.stderr
    assert DatasetMeta.load(root).info["total_episodes"] == 1


class Terminal(io.StringIO):
    def isatty(self):
        return True


async def test_live_view_shows_the_oldest_frame_of_each_stream(dataset_root):
    from lerec.cli.record_display import Rates, take_snapshot

    shown = {A: [], B: []}
    async with Recorder.create(dataset_root, 30, {"a": small_camera(fps=5), "b": small_camera()}, STATE,
                               rgb_encoder=FAST_H264) as rec:
        async with anyio.create_task_group() as tg:
            async def watch():
                rates = Rates()
                while True:
                    await anyio.sleep(0.05)
                    if rec.status.phase == "recording" and rec.status.tick:
                        snap = take_snapshot(rec, rates, time.monotonic_ns())
                        for line in snap.streams:
                            shown["observation.images." + line.name].append(round(line.frame_age_s * 1000))

            tg.start_soon(watch)
            report = await rec.record_episode("view", num_frames=15, step=CountingRobot())
            tg.cancel_scope.cancel()
    for key in (A, B):
        assert shown[key]
        # What the view showed is the oldest so far: it only grows, up to the episode's oldest.
        assert shown[key] == sorted(shown[key])
        assert shown[key][-1] <= round(report.streams[key].oldest_frame_age_s * 1000)