"""``merge``: each rank checks that its episodes' videos can be moved without re-encoding; the commit appends the
episodes of every source in order. The one-process tool is :func:`lerec.dataset.editing.merge.merge_datasets`; both take
the output's features from ``merge_features``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lerec.dataset.editing.merge import merge_features, merged_features, opened_in_turn
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.writing.episode_video import EpisodeVideoSource
from lerec.jobs.kinds.base import Job


class Merge(Job):
    """No settings: the sources, in the order their episodes are wanted."""

    def check(self) -> None:
        merge_features(self.sources, self.output)

    def work(self, reader: DatasetReader, e: int, folder: Path, cache: dict[str, Any]) -> dict[str, Any]:
        """Checks that every video of the episode can be moved without re-encoding (the commit moves it)."""
        source = cache.setdefault("videos", EpisodeVideoSource())
        row, length = reader.episode(e), reader.length(e)
        sizes = {}
        for key in reader.video_keys:
            movable = source.episode(reader.video_path(e, key), row.videos[key].from_timestamp, length, reader.fps)
            sizes[key] = len(movable.fragment.fragment)
        reader.rows(e)
        return {"streams": sizes}

    def features(self, first: DatasetReader) -> dict[str, Any]:
        return merged_features(opened_in_turn(self.sources))
