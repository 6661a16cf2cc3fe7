"""``validate``: each rank decodes every frame of its episodes and checks it against its row and feature; the
answer adds the whole-dataset checks of :class:`lerec.dataset.reading.validate.Validator` (meta, rows, packets,
statistics). Writes no dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.reading.validate import Problem, Validator
from lerec.errors import LerecError, one_line
from lerec.jobs.kinds.base import Job, Staged


class Validate(Job):
    """No settings, no output: the problems found (empty when the dataset is sound)."""

    writes_output = False

    def work(self, reader: DatasetReader, e: int, folder: Path, cache: dict[str, Any]) -> dict[str, Any]:
        """Every frame of every stream decoded at its row's time and checked against the feature's shape."""
        problems = []
        length = reader.length(e)
        for key in [*reader.video_keys, *reader.image_keys]:
            try:
                frames = reader.frames(e, keys=[key])[key]
            except (LerecError, OSError, ValueError) as exc:
                problems.append({"message": one_line(exc), "episode": e, "stream": key, "frame": None})
                continue
            shape = tuple(reader.features[key].get("shape") or ())
            if len(frames) != length:
                problems.append({"message": f"{len(frames)} frames decoded for {length} rows", "episode": e,
                                 "stream": key, "frame": min(len(frames), length)})
            elif shape and frames.shape[1:] != shape:
                problems.append({"message": f"frames of shape {frames.shape[1:]}, the feature says {shape}",
                                 "episode": e, "stream": key, "frame": 0})
        return {"problems": problems}

    def report(self, staged: Staged) -> list[Problem]:
        problems = Validator(self.sources[0]).run()
        for _, _, result in staged:
            problems.extend(Problem(p["message"], p["episode"], p["stream"], p["frame"]) for p in result["problems"])
        return problems
