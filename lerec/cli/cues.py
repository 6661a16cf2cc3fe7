"""``--play_sounds``: LeRobot's spoken cues, for an operator who watches the robot rather than the terminal:
the episode's start and end, the reset, the end of the session. Spoken by the first of spd-say, espeak-ng, espeak
or say that is installed, in order and off the event loop; with none, the terminal's bell."""

from __future__ import annotations

import argparse
import queue
import shutil
import subprocess
import sys
import threading
from typing import Any, TextIO

from lerec.cli.lerobot_flags import flag_bool

SPEAKERS = ("spd-say", "espeak-ng", "espeak", "say")
CLOSE_WAIT_S = 10.0  # the longest a cue may take to be said (a speech program that hangs is given up on)


def add_cue_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--play_sounds", type=flag_bool, nargs="?", const=True, default=False, metavar="true|false",
                        help="spoken cues for each episode's start and end and for the reset (spd-say or espeak "
                        "when installed, else the terminal bell); LeRobot's flag, off by default in lerec")


class Cues:
    """Says what the session does next, when ``enabled``: one cue after the other, on a thread of its own, so that
    neither the event loop waits for a voice nor two voices overlap. ``stream`` (stderr) gets the bell when no
    speech program is installed and it is a terminal."""

    def __init__(self, enabled: bool, stream: TextIO | None = None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.speaker = next((path for path in map(shutil.which, SPEAKERS) if path), None) if enabled else None
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._speaking: threading.Thread | None = None

    def say(self, text: str) -> None:
        if not self.enabled:
            return
        if self.speaker is None:
            if self.stream.isatty():
                self.stream.write("\a")
                self.stream.flush()
            return
        if self._speaking is None:
            self._speaking = threading.Thread(target=self._speak, name="lerec-cues", daemon=True)
            self._speaking.start()
        self._queue.put(text)

    def _speak(self) -> None:
        while (text := self._queue.get()) is not None:
            try:  # its own session: a Ctrl-C meant for lerec does not cut the cue short
                subprocess.run([self.speaker, text], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True, timeout=CLOSE_WAIT_S)
            except (OSError, subprocess.TimeoutExpired):
                pass  # a cue is a courtesy: recording goes on without it

    def episode_start(self, index: int) -> None:
        self.say(f"Recording episode {index}")

    def episode_end(self, report: Any) -> None:
        self.say("Re-record episode" if report.discarded else f"Episode {report.episode_index} saved")

    def reset(self) -> None:
        self.say("Reset the environment")

    def close(self) -> None:
        """Say that recording stopped and wait until every cue has been said (each at most CLOSE_WAIT_S)."""
        self.say("Stop recording")
        if self._speaking is not None:
            self._queue.put(None)
            self._speaking.join()
            self._speaking = None
