"""``stats``: each rank recomputes its episodes' image and video statistics from the decoded frames; the commit
copies the episodes with them (numeric statistics are recomputed from the rows, as every copy does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lerec.dataset.editing.assemble import DatasetAssembler
from lerec.dataset.reading.reader import DatasetReader
from lerec.dataset.spec import format as fmt
from lerec.dataset.spec.stats import ImageStats, stats_from_json, stats_to_json
from lerec.jobs.kinds.base import Job


class RecomputeStats(Job):
    """No settings: a copy of the one source with its image and video statistics recomputed."""

    def work(self, reader: DatasetReader, e: int, folder: Path, cache: dict[str, Any]) -> dict[str, Any]:
        """Each image and video stream's statistics recomputed from its decoded frames."""
        out = {}
        for key in [*reader.video_keys, *reader.image_keys]:
            feature = reader.features[key]
            depth = fmt.is_depth_feature(feature)
            frames = reader.frames(e, keys=[key])[key]
            stats = ImageStats(frames.shape[-1], "depth" if depth else "rgb")
            for frame in frames:
                stats.add(frame)
            out[key] = stats.result((feature.get("info") or {}).get("depth_unit") or "mm" if depth else None)
        return {"stats": stats_to_json(out)}

    def add(self, out: DatasetAssembler, reader: DatasetReader, e: int, folder: Path, result: dict[str, Any]) -> None:
        out.add(reader, e, stream_stats=stats_from_json(result["stats"]))
