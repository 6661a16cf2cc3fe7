"""Labels set during a session: from Python (`rec.label`, the report), from keys during or after an episode, and
through a pseudo-terminal with `lerec record`."""

from __future__ import annotations

import os

import anyio
import pytest

from lerec import Recorder
from lerec.dataset.store.labels import EpisodeLabel, read_labels
from lerec.errors import SettingsError
from recording_fixtures import FAST_H264, STATE, CountingRobot, small_camera
from test_cli_robots import FAST, SMALL, Terminal
from test_labels import assert_lerobot_shape

CAMERAS = {"front": small_camera()}


class StepThen(CountingRobot):
    """The counting robot, calling ``then()`` at tick ``at``."""

    def __init__(self, at: int, then):
        super().__init__()
        self.at, self.then = at, then

    def __call__(self):
        if self.tick == self.at:
            self.then()
        return super().__call__()


async def test_label_from_python_and_from_keys_during_an_episode(dataset_root):
    async with Recorder.create(dataset_root, 30, CAMERAS, STATE, rgb_encoder=FAST_H264) as rec:
        first = await rec.record_episode("t", num_frames=8, step=CountingRobot())
        assert first.label == EpisodeLabel()
        await rec.label(first, success=True, tags=["clean"])
        assert read_labels(dataset_root)[0] == EpisodeLabel(True, ("clean",))  # written at once, between episodes
        # During episode 1, a key marks it a failure, and the caller's code notes something on episode 0.
        second = await rec.record_episode("t", num_frames=8, step=StepThen(3, lambda: rec.mark_success(False)))
        assert second.label == EpisodeLabel(False) and "failure" in second.summary()

        async def note_while_recording():
            while rec.status.phase != "recording":
                await anyio.sleep(0.005)
            await rec.label(0, notes="camera bumped")  # held until episode 2 is saved
            await rec.label(2, tags=["late"])  # the episode being recorded: goes into its row

        async with anyio.create_task_group() as tg:
            tg.start_soon(note_while_recording)
            third = await rec.record_episode("t", num_frames=30, step=CountingRobot())
        assert third.label == EpisodeLabel(tags=("late",))
        rec.mark_success(True)  # between episodes: the last one saved; written when the session ends
    assert read_labels(dataset_root) == {0: EpisodeLabel(True, ("clean",), "camera bumped"), 1: EpisodeLabel(False),
                                         2: EpisodeLabel(True, ("late",))}
    assert_lerobot_shape(dataset_root)


async def test_a_discarded_take_loses_its_label(dataset_root):
    async with Recorder.create(dataset_root, 30, CAMERAS, STATE, rgb_encoder=FAST_H264) as rec:
        def mark_then_discard():
            rec.mark_success(True)
            rec.rerecord_episode()

        discarded = await rec.record_episode("t", num_frames=30, step=StepThen(3, mark_then_discard))
        assert discarded.discarded
        retake = await rec.record_episode("t", num_frames=8, step=CountingRobot())
        assert retake.episode_index == 0 and retake.label == EpisodeLabel()
    assert read_labels(dataset_root) == {0: EpisodeLabel()}


async def test_bad_labels_are_refused(dataset_root):
    async with Recorder.create(dataset_root, 30, CAMERAS, STATE, rgb_encoder=FAST_H264) as rec:
        assert rec.mark_success(True) is None  # nothing recorded yet
        await rec.record_episode("t", num_frames=5, step=CountingRobot())
        with pytest.raises(SettingsError, match="episode 1 cannot be labelled"):
            await rec.label(1, success=True)
        with pytest.raises(SettingsError, match="success 'yes'"):
            await rec.label(0, success="yes")
    assert read_labels(dataset_root) == {0: EpisodeLabel()}


def test_keys_label_episodes_through_a_terminal(tmp_path):
    root = tmp_path / "k"
    term = Terminal("record", f"--dataset.root={root}", "--dataset.num_episodes=3", "--dataset.episode_time_s=60",
                    "--dataset.reset_time_s=60", SMALL, *FAST)
    try:
        term.wait_for(r"episode 0: recording")
        term.press(b"s")  # during episode 0: a success
        term.wait_for(r"episode 0: success")
        term.press(b"n")  # ends episode 0, saved; the reset starts
        term.wait_for(r"reset: ")
        term.press(b"f")  # during the reset: the episode just saved, a failure after all
        term.wait_for(r"episode 0: failure")
        term.press(b"n")  # ends the reset
        term.wait_for(r"episode 1: recording")
        term.press(b"S")
        term.wait_for(r"episode 1: success")
        term.press(b"\x1b")  # Esc: saves episode 1 and ends the session
        out, err = term.proc.communicate(timeout=90)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
        os.close(term.slave)
        os.close(term.master)
    assert term.proc.returncode == 0, "".join(term.log) + err
    assert "saved 2 episode(s)" in out
    assert read_labels(root) == {0: EpisodeLabel(False), 1: EpisodeLabel(True)}
    assert_lerobot_shape(root)
