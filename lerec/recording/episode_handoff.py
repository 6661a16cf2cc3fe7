"""A recorded episode handed to its :class:`~lerec.dataset.writing.episode_save.EpisodeSave` once its ticks have ended:
the rows, each stream's video (or images) as soon as its encoder has flushed, and the row with every stream's
statistics once each encoder has taken its last frame, while the others still flush."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from lerec.dataset.spec import format as fmt
from lerec.dataset.spec.stats import Stats
from lerec.dataset.writing.episode_save import Columns, EpisodeSave
from lerec.recording.episode_ticks import Ticks
from lerec.recording.stream_encoder import StreamEncoder

log = logging.getLogger(__name__)


def save_recorded(save: EpisodeSave, ticks: Ticks, encoders: Mapping[str, StreamEncoder],
                  columns: Callable[[], dict[str, Any]], labels: Mapping[str, Any] | None = None) -> None:
    """Begin the save of the episode ``ticks`` took and start its parts; ``columns()`` gives its numeric columns.
    Its row holds lerec's provenance: which camera frame each row holds and how old it was at its tick; and
    ``labels``, its label columns when it was labelled while recorded."""
    provenance = {}
    for key in encoders:
        provenance[fmt.provenance_column(key, "camera_seq")] = ticks.seqs[key]
        provenance[fmt.provenance_column(key, "capture_age_us")] = ticks.ages_us[key]
    save.begin(len(ticks.rows), {**provenance, **(labels or {})})

    async def frames() -> Columns:
        values = columns()
        extra_stats = {}
        for key, encoder in encoders.items():
            if encoder.as_images:
                images = await encoder.result()
                values[key] = [{"bytes": png, "path": None} for png in images.pngs]
                extra_stats[key] = images.stats
        return values, extra_stats

    async def video_stats() -> dict[str, Stats]:
        for encoder in encoders.values():
            await encoder.frames_encoded.wait()
        return {key: e.stats_result() for key, e in encoders.items() if not e.as_images}

    save.write_frames(frames)
    save.stage_row(video_stats)
    for key, encoder in encoders.items():
        if not encoder.as_images:
            save.add_video(key, encoder.result)


def close_encoders(encoders: Mapping[str, StreamEncoder]) -> None:
    """Close an abandoned episode's encoders and delete their files (what fails is logged)."""
    for encoder in encoders.values():
        try:
            encoder.abort()
        except Exception as exc:
            log.warning("closing the encoder of camera %r: %s", encoder.camera, exc)
