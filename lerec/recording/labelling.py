"""Episode labels set during a session (keys, a GUI, the caller's code), written between saves, never during one.

A label asked for the episode being recorded goes into its row when its save begins; one that comes later, or for
an episode already saved, waits until no save runs and is then written into ``meta/episodes`` under the session's
lock (:func:`lerec.dataset.store.labels.write_labels`), off the event loop.
"""

from __future__ import annotations

from typing import Any

import anyio

from lerec.dataset.spec import format as fmt
from lerec.dataset.store.labels import UNCHANGED, EpisodeLabel, checked_fields, write_labels
from lerec.dataset.store.rollback import Rollback
from lerec.errors import SettingsError

RECORDING_PHASES = ("recording", "encoding", "saving")  # a key labels this episode, not the last saved one


class EpisodeLabelling:
    """The labelling half of a :class:`~lerec.recording.Recorder` (which provides ``writer``, ``status``,
    ``num_episodes`` and ``_episode_scope``)."""

    def __init__(self) -> None:
        self._label_requests: dict[int, dict[str, Any]] = {}  # episode index -> fields to set
        self._labels_writing = anyio.Lock()  # a save waits for a label being written, and the other way round

    async def label(self, episode: Any, *, success: Any = UNCHANGED, tags: Any = UNCHANGED,
                    notes: Any = UNCHANGED) -> None:
        """Label an episode (its index, or the report ``record_episode`` returned): ``success`` True, False or
        None (unset), ``tags`` a list of strings, ``notes`` a string. Written at once when no episode is being
        recorded, else once it is saved (the episode being recorded gets it in its row). Bad values or an index
        not recorded are a SettingsError."""
        index = getattr(episode, "episode_index", episode)
        fields = checked_fields(success, tags, notes)
        recording = self._episode_scope is not None and self.status.phase in RECORDING_PHASES
        last = self.status.episode_index if recording else self.num_episodes - 1
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= last:
            raise SettingsError(f"episode {index!r} cannot be labelled: episodes 0..{last} are recorded")
        self._request_label(index, fields)
        if self._episode_scope is None:
            await self.write_requested_labels()

    def mark_success(self, success: bool | None) -> int | None:
        """Label the episode being recorded (between episodes: the last one saved) a success (True), a failure
        (False) or unset (None); returns its index, None when there is none yet. Safe from any task or thread:
        the label is written after the episode's save."""
        index = self.label_target()
        if index is not None:
            self._request_label(index, {"success": success})
        return index

    def label_target(self) -> int | None:
        """The episode a key labels now: the one being recorded or saved, else the last one saved."""
        if self.status.phase in RECORDING_PHASES:
            return self.status.episode_index
        return self.num_episodes - 1 if self.num_episodes else None

    def shown_label(self, index: int) -> EpisodeLabel:
        """Episode ``index``'s label as it will be once the requests for it are written."""
        episodes = self.writer.meta.episodes if self.writer is not None else []
        current = EpisodeLabel.of(episodes[index].extra) if index < len(episodes) else EpisodeLabel()
        return current.changed(**self._label_requests.get(index, {}))

    def _request_label(self, index: int, fields: dict[str, Any]) -> None:
        self._label_requests[index] = {**self._label_requests.get(index, {}), **fields}

    def take_label_columns(self, index: int) -> dict[str, Any]:
        """The label columns of episode ``index``'s row, whose save begins now (requests for it are used up)."""
        fields = self._label_requests.pop(index, None)
        return EpisodeLabel().changed(**fields).columns() if fields else {}

    def forget_labels(self, index: int) -> None:
        """Drop the requests for episode ``index``: it was discarded, and its index is recorded again."""
        self._label_requests.pop(index, None)

    async def write_requested_labels(self) -> dict[int, EpisodeLabel]:
        """Write the requested labels of the saved episodes (call when no save runs); returns what was written."""
        async with self._labels_writing:
            saved = len(self.writer.meta.episodes)
            ready = {i: self._label_requests.pop(i) for i in sorted(self._label_requests) if i < saved}
            if not ready:
                return {}
            rows = self.writer.meta.episodes
            labels = {i: EpisodeLabel.of(rows[i].extra, f"episode {i}").changed(**fields)
                      for i, fields in ready.items()}

            def write() -> None:
                rollback = Rollback(self.writer.root / fmt.ROLLBACK_DIR)
                try:
                    write_labels(self.writer.meta, labels, rollback)
                except BaseException:
                    rollback.restore()
                    raise
                rollback.discard()

            await anyio.to_thread.run_sync(write)
            return labels
