"""Depth recorded with FFV1 for real time: converted to the depth encoder's lossless HEVC once the session ends
without error, and after an error a hint saying how to convert it (LeRobot cannot read FFV1)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import anyio

from lerec.encoding.config import DepthEncoderConfig
from lerec.dataset.writing.depth_conversion import (
    DatasetProgress,
    convert_dataset_depth,
    log_progress,
    unconverted_depth_hint,
)
from lerec.encoding import video_encoding as venc
from lerec.encoding.depth_transcode import TranscodeResult
from lerec.errors import Interrupted

log = logging.getLogger(__name__)


def as_converted(features: Mapping[str, dict[str, Any]], existing: Mapping[str, Mapping[str, Any]],
                 depth_to_convert: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``features`` with depth features as converted, where the dataset being resumed (``existing`` features)
    holds them so."""
    out = dict(features)
    for key, converted in depth_to_convert.items():
        if (existing.get(key, {}).get("info") or {}).get(venc.CODEC) == converted["info"][venc.CODEC]:
            out[key] = converted
    return out


def hint_depth_conversion(root: Path, depth_encoder: DepthEncoderConfig) -> None:
    """Log how to convert the depth a session ending on an error left in FFV1, if it left any."""
    hint = unconverted_depth_hint(root, depth_encoder)
    if hint:
        log.warning("%s", hint)


async def convert_depth(root: Path, depth_encoder: DepthEncoderConfig, encoder_threads: int | None,
                        aborted: Callable[[], bool], progress: DatasetProgress | None = None) -> list[TranscodeResult]:
    """Convert the dataset's FFV1 depth videos off the event loop; once ``aborted()``, the conversion stops at its
    next video and deletes what it converted."""
    report = progress or log_progress()

    def progress_or_stop(done: int, total: int, path: Path) -> None:
        if aborted():  # raised on the conversion's thread, which then deletes what it converted
            raise Interrupted(f"depth conversion stopped; the depth videos of {root} stay FFV1 "
                              f"(`lerec convert-depth {root}` converts them)")
        report(done, total, path)

    return await anyio.to_thread.run_sync(lambda: convert_dataset_depth(
        root, depth_encoder, progress=progress_or_stop, encoder_threads=encoder_threads))
