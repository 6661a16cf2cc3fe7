"""The live view of ``lerec record``: what it shows of a real session, that it fits an 80x24 terminal, that it shows
the backlog draining after the last tick, that a pipe gets plain lines, and that in a real terminal (tmux) it never
erases what was printed before it."""

import os
import re
import shutil
import subprocess
import sys
import time
import uuid

import anyio
import pytest
from rich.cells import cell_len

from lerec import Recorder
from lerec.cli.record_display import Rates, RobotLine, Snapshot, StreamLine, take_snapshot, view_lines
from lerec.robots import SyntheticRobotConfig, SyntheticTeleopConfig

from recording_fixtures import FAST_H264, STATE, CountingRobot, small_camera

TWO_CAMERAS_AND_DEPTH = {"front": small_camera(depth=True), "wrist": small_camera()}


def fits_80x24(lines: list[str]) -> None:
    assert all(cell_len(line) <= 80 for line in lines), "\n".join(lines)
    assert len(lines) <= 12, "\n".join(lines)


async def test_view_of_two_cameras_depth_and_a_robot_fits_80_columns(dataset_root):
    snapshots = []
    async with Recorder.create(dataset_root, 30, TWO_CAMERAS_AND_DEPTH, rgb_encoder=FAST_H264,
                               robot=SyntheticRobotConfig(), teleop=SyntheticTeleopConfig()) as rec:
        rates = Rates()

        async def watch():
            while True:
                snapshots.append(take_snapshot(rec, rates, time.monotonic_ns(), keys=True))
                await anyio.sleep(0.02)

        async with anyio.create_task_group() as tg:
            tg.start_soon(watch)
            await rec.record_episode("view", num_frames=20)
            tg.cancel_scope.cancel()
    recording = [s for s in snapshots if s.phase == "recording" and s.tick > 0]
    assert recording
    last = recording[-1]
    assert [line.name for line in last.streams] == ["front", "front_depth", "wrist"]
    assert [robot.name for robot in last.robots] == ["synthetic"]
    assert all(0 <= line.frame_age_s < 60 for line in last.streams)
    for snap in recording:
        lines = view_lines(snap)
        fits_80x24(lines)
        assert lines[0] == f"episode 0 recording: tick {snap.tick}/20, {snap.time_left_s:.1f} s left"
        assert "→/n end" in lines[1] and "Esc/q stop" in lines[1] and "s/f success/failure" in lines[1]
        assert lines[2] == "label: episode 0: unlabelled"
        assert [line.split()[0] for line in lines[4:7]] == ["front", "front_depth", "wrist"]
        assert lines[7].startswith("robot synthetic: loop ")


def test_long_names_and_big_numbers_are_cut_not_wrapped():
    name = "a_camera_with_a_very_long_name_indeed_depth"
    streams = tuple(StreamLine(f"{name}{i}", 30000.0, 123456, 9999999, 12.5, float("inf")) for i in range(3))
    snap = Snapshot("encoding", 12345, 99999, 99999, 0.0, streams, (RobotLine("x" * 100, 1234.5),), keys=True)
    lines = view_lines(snap)
    fits_80x24(lines)
    assert lines[0] == "episode 12345 encoding: 99999 frames, 370368 still to encode"
    assert sum("123456" in line for line in lines) == 3


async def test_the_view_shows_the_backlog_draining_after_the_last_tick(dataset_root):
    # Encoding after the episode: every frame waits in the backlog at the last tick, then drains.
    seen = []
    async with Recorder.create(dataset_root, 30, {"a": small_camera(width=320, height=240)}, STATE,
                               rgb_encoder=FAST_H264, streaming_encoding=False) as rec:
        rates = Rates()

        async def watch():
            while True:
                snap = take_snapshot(rec, rates, time.monotonic_ns())
                seen.append((snap.phase, snap.streams[0].queue))
                await anyio.sleep(0.01)

        async with anyio.create_task_group() as tg:
            tg.start_soon(watch)
            await rec.record_episode("drain", num_frames=60, step=CountingRobot())
            tg.cancel_scope.cancel()
        after = take_snapshot(rec, rates, time.monotonic_ns())
    draining = [queue for phase, queue in seen if phase in ("encoding", "saving")]
    # The first update after the last tick comes while the first batch (8 frames) is encoding: the status holds
    # it for the 0.1 s until the next update, and the watcher looks every 0.01 s.
    assert draining and draining[0] > 0, seen
    assert draining == sorted(draining, reverse=True), seen
    assert after.streams[0].queue == 0


def lerec_record(root, *args, **kwargs):
    cmd = [sys.executable, "-m", "lerec", "record", f"--dataset.root={root}", "--dataset.num_episodes=2",
           "--dataset.episode_time_s=1", "--dataset.reset_time_s=0.5",
           "--cameras={front: {type: synthetic, width: 64, height: 48, depth: true},"
           " wrist: {type: synthetic, width: 64, height: 48}}",
           "--dataset.rgb_encoder.vcodec=h264", *args]
    return cmd


def test_a_pipe_gets_plain_lines_as_docs_recording_md_says(tmp_path):
    """A line as each episode starts, its summary once saved; warnings (a loaded machine's late frames) aside."""
    done = subprocess.run(lerec_record(tmp_path / "d"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for out in (done.stdout, done.stderr):
        assert "\x1b" not in out and "\r" not in out
    lines = [line for line in done.stderr.splitlines() if not line.startswith(("WARNING ", "INFO convert"))]
    assert [re.sub(r"(\d+ frames)( in|$).*", r"\1\2", line) for line in lines] == [
        "INFO episode 0: recording 30 frames", "episode 0: 30 frames in", "reset: 0.5 s (-> or n: skip it)",
        "INFO episode 1: recording 30 frames", "episode 1: 30 frames in"], done.stderr
    assert "saved 2 episode(s)" in done.stdout


class Tmux:
    """A tmux server of its own, with one 80x24 window running a command."""

    def __init__(self, command: str):
        self.socket = f"lerec-test-{uuid.uuid4().hex[:8]}"
        self.run("new-session", "-d", "-s", "rec", "-x", "80", "-y", "24", command)

    def run(self, *args) -> str:
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args], capture_output=True,
                              text=True, check=True, timeout=30).stdout

    def screen(self, history: bool = False) -> str:
        # -J joins lines the terminal wrapped, so a summary longer than 80 columns reads as one line.
        return self.run("capture-pane", "-p", "-J", "-t", "rec", *(("-S", "-") if history else ()))

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (apt-get install tmux) for a real terminal")
def test_in_an_80x24_terminal_the_summaries_stay_in_the_scrollback(tmp_path):
    cmd = " ".join(f"'{arg}'" for arg in lerec_record(tmp_path / "d", "--dataset.episode_time_s=3"))
    env = f"cd '{os.getcwd()}' && unset COLUMNS LINES && LEREC_KEYBOARD=on "
    tmux = Tmux(f"{env}{cmd}; echo EXITED $?; sleep 600")
    views = []
    try:
        deadline = time.monotonic() + 300
        while "EXITED" not in (screen := tmux.screen()):
            assert time.monotonic() < deadline, screen
            if "recording: tick" in screen:
                views.append(screen)
            time.sleep(0.2)
        history = tmux.screen(history=True)
    finally:
        tmux.kill()
    assert "EXITED 0" in history, history
    lines = history.splitlines()
    # Both summaries and the reset line are still there, once each, in order: nothing erased them.
    summaries = [i for i, line in enumerate(lines) if line.startswith(("episode 0: ", "episode 1: ", "reset: "))]
    assert [lines[i][:9] for i in summaries] == ["episode 0", "reset: 0.", "episode 1"], history
    assert "saved 2 episode(s)" in history
    # The view was shown (on a 3 s episode the watcher, every 0.2 s, sees it), then went away without a trace.
    assert views, history
    assert any("front_depth" in view and "robot synthetic: loop" in view for view in views), views
    assert "recording: tick" not in history and "frame age" not in history
