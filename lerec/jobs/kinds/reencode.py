"""``reencode`` (also convert-depth and image-to-video): each rank encodes its episodes' changed streams into
one-episode fragments; the commit appends them, the other streams moved as bytes. The one-process tool is
:func:`lerec.dataset.editing.edit.reencode_dataset`; both encode an episode with ``encode_episode_streams``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lerec.dataset.editing.assemble import DatasetAssembler
from lerec.dataset.editing.edit import encode_episode_streams, encode_plan, encoded_features, note_encoding
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.spec import layout
from lerec.dataset.writing.episode_video import MovableEpisode
from lerec.encoding import fmp4
from lerec.encoding.config import RGBEncoderConfig
from lerec.errors import one_line
from lerec.jobs.kinds.base import Job
from lerec.jobs.plan import RESULT, JobError


def stream_file(i: int) -> str:
    return f"stream-{i}.mp4"


class Reencode(Job):
    """Settings: ``rgb`` and ``depth`` (encoder fields to change, or None), ``encoder_threads``, ``only``."""

    def _encoding(self, reader: DatasetReader) -> dict[str, RGBEncoderConfig]:
        return encode_plan(reader, self.settings.get("rgb"), self.settings.get("depth"), self.settings.get("only"))

    def work(self, reader: DatasetReader, e: int, folder: Path, cache: dict[str, Any]) -> dict[str, Any]:
        if "plan" not in cache:
            cache["plan"] = self._encoding(reader)
        streams = {}
        for i, (key, config) in enumerate(cache["plan"].items()):
            try:
                videos, facts = encode_episode_streams(reader, e, {key: config}, self.settings.get("encoder_threads"))
            except Exception as exc:
                raise JobError(f"stream {key}: {one_line(exc)}") from exc
            movable = videos[key]
            # init + fragment is a one-episode fragmented MP4, read back as the same fragment by the commit
            with open(folder / stream_file(i), "wb") as f:
                f.write(movable.fragment.init)
                f.write(movable.fragment.fragment)
            streams[key] = {"file": stream_file(i), "start_frame": movable.start_frame, "facts": facts[key]}
        return {"streams": streams}

    def features(self, first: DatasetReader) -> dict[str, Any]:
        return encoded_features(first, self._encoding(first))

    def describe(self, features: dict[str, Any], first: DatasetReader, result: dict[str, Any]) -> None:
        encoding = self._encoding(first)
        note_encoding(features, encoding, {key: result["streams"][key]["facts"] for key in encoding})

    def add(self, out: DatasetAssembler, reader: DatasetReader, e: int, folder: Path, result: dict[str, Any]) -> None:
        out.add(reader, e, videos=_staged_videos(folder, result))


def _staged_videos(folder: Path, result: dict[str, Any]) -> dict[str, MovableEpisode]:
    """A rank's fragments, by the names its result.json gives: files inside its own staging folder only."""
    return {key: MovableEpisode(fmp4.read_episode_fragment(layout.confine(folder, staged["file"], folder / RESULT)),
                                int(staged["start_frame"]))
            for key, staged in result["streams"].items()}
