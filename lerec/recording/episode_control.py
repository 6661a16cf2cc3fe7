"""Requests that steer a recording session from keys, pedals, GUIs or a headless robot's own code.

Each request only sets a flag that the control loop reads at its next tick, so every method is safe to call from
any task or any thread.
"""

from __future__ import annotations

from typing import Any


class Rerecorded(Exception):
    """Raised inside the recorder when :meth:`EpisodeControls.rerecord_episode` discarded the episode; carries
    the report that ``record_episode`` returns."""

    def __init__(self, report: Any):
        super().__init__(f"episode {report.episode_index} discarded to be recorded again")
        self.report = report


class EpisodeControls:
    """The requests of a :class:`~lerec.recording.Recorder`: end, re-record, stop."""

    def __init__(self) -> None:
        self._stop_requested = False  # the episode (or reset) ends at its next tick; the episode is saved
        self._rerecord_requested = False
        self._stopped = False

    def end_episode(self) -> None:
        """End the episode being recorded at its next tick and save it, or end the reset being run (asked during
        an episode's save, it ends the reset that follows). Safe from any task or thread: it sets a flag that
        the control loop reads each tick."""
        self._stop_requested = True

    def rerecord_episode(self) -> None:
        """Discard the episode being recorded at its next tick: nothing of it stays on disk, its index is used
        again, and ``record_episode`` returns a report with ``discarded=True``. Safe from any task or thread."""
        self._rerecord_requested = True

    def stop(self) -> None:
        """End the session: the episode being recorded ends at its next tick and is saved, a reset ends, and
        :attr:`stopped` is true (loop ``while not rec.stopped``); a later ``record_episode`` records nothing and
        returns a report with ``length == 0``. Safe from any task or thread."""
        self._stopped = True
        self._stop_requested = True

    def _end_requested(self) -> bool:
        """Whether the episode being recorded is to end now; the request is used up (one made during the save
        then ends the reset that follows)."""
        if not self._stop_requested:
            return False
        self._stop_requested = self._stopped
        return True

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stopped

