"""``--play_sounds``: LeRobot's spoken cues, for an operator who watches the robot rather than the terminal:
the episode's start and end, the reset, the end of the session. Spoken by the first of spd-say, espeak-ng, espeak
or say that is installed, without waiting for it; with none, the terminal's bell."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from typing import Any, TextIO

from lerec.cli.lerobot_flags import flag_bool

SPEAKERS = ("spd-say", "espeak-ng", "espeak", "say")
CLOSE_WAIT_S = 10.0  # the last cue is heard before the command returns, unless it hangs


def add_cue_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--play_sounds", type=flag_bool, nargs="?", const=True, default=False, metavar="true|false",
                        help="spoken cues for each episode's start and end and for the reset (spd-say or espeak "
                        "when installed, else the terminal bell); LeRobot's flag, off by default in lerec")


class Cues:
    """Says what the session does next, when ``enabled``; ``stream`` (stderr) gets the bell when no speech
    program is installed and it is a terminal."""

    def __init__(self, enabled: bool, stream: TextIO | None = None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.speaker = next((path for path in map(shutil.which, SPEAKERS) if path), None) if enabled else None
        self._spoken: list[subprocess.Popen] = []

    def say(self, text: str) -> None:
        if not self.enabled:
            return
        if self.speaker is None:
            if self.stream.isatty():
                self.stream.write("\a")
                self.stream.flush()
            return
        self._spoken = [p for p in self._spoken if p.poll() is None]
        try:  # its own session: a Ctrl-C meant for lerec does not cut the cue short
            self._spoken.append(subprocess.Popen([self.speaker, text], stdin=subprocess.DEVNULL,
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                                 start_new_session=True))
        except OSError:
            self.speaker = None  # removed since: the bell from now on

    def episode_start(self, index: int) -> None:
        self.say(f"Recording episode {index}")

    def episode_end(self, report: Any) -> None:
        self.say("Re-record episode" if report.discarded else f"Episode {report.episode_index} saved")

    def reset(self) -> None:
        self.say("Reset the environment")

    def close(self) -> None:
        """Say that recording stopped, and wait for the cues still being spoken (killed past CLOSE_WAIT_S)."""
        self.say("Stop recording")
        for process in self._spoken:
            try:
                process.wait(CLOSE_WAIT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._spoken = []
