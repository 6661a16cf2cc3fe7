"""Recording depth with a real-time lossless codec, then converting every depth video of a dataset to the
LeRobot-readable codec, all or nothing.

Lossless HEVC Main 12 (LeRobot's depth default and the only depth codec its reader accepts) encodes 5-20 frames/s
at 640x480 on a 2-core machine; FFV1 over the same 12-bit codes is as small and 3-10x faster. So a depth stream
whose target is lossless HEVC is recorded with :func:`lerec.encoding.depth_transcode.realtime_depth_config`
(FFV1) and converted afterwards: this module is that conversion's transaction over a dataset; the transcoding of
one file is :mod:`lerec.encoding.depth_transcode`'s.

Each depth MP4 whose codec is not the target's is transcoded next to itself (``.file-000.mp4.converted``) and
verified. Only when all of them are ready is a journal written (``.lerec/convert-depth.json``); then the files
are renamed over the originals and ``meta/info.json`` gets the new ``video.codec``, ``video.pix_fmt`` and
encoder settings, last. A crash before the journal leaves the dataset as it was (stray ``.converted`` files are
removed by the next run); a crash after it is rolled forward by :func:`finish_pending_conversion`, which every
run calls first. Nobody may record into the dataset meanwhile.
"""

from __future__ import annotations

import logging
import os
import shutil
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import av

from lerec.dataset.spec import format as fmt
from lerec.dataset.spec import layout
from lerec.dataset.spec.meta_schema import read_json
from lerec.dataset.store.atomic import fsync_dir, write_json_atomically
from lerec.dataset.store.metadata import read_info, update_feature_info
from lerec.encoding.config import DepthEncoderConfig
from lerec.encoding.depth_transcode import (
    TranscodeResult,
    conversion_depth_config,
    depth_video_segments,
    target_codec_name,
    transcode_depth_video,
)
from lerec.encoding.probe import probe_stream_info
from lerec.errors import DatasetError, one_line

log = logging.getLogger(__name__)

JOURNAL_PATH = ".lerec/convert-depth.json"
CONVERTED_SUFFIX = ".converted"
# Called with (frames done, frames in all files to convert, the file being converted).
DatasetProgress = Callable[[int, int, Path], None]


@attrs.define(frozen=True)
class PendingVideo:
    """A depth video of feature ``key`` that is not in the target codec yet."""

    key: str
    path: Path
    codec: str
    frames: int

    @property
    def converted_path(self) -> Path:
        return self.path.with_name(_converted_name(self.path.name))


def _converted_name(path: str) -> str:
    """Where a video's converted copy is written, beside it (a hidden file)."""
    head, _, name = path.rpartition("/")
    return f"{head}/.{name}{CONVERTED_SUFFIX}" if head else f".{name}{CONVERTED_SUFFIX}"


def log_progress(every: float = 0.1) -> DatasetProgress:
    """A progress callback that logs at INFO each time another ``every`` of the frames is converted."""
    state = {"next": 0.0}

    def report(done: int, total: int, path: Path) -> None:
        if total and done / total >= state["next"]:
            state["next"] = done / total + every
            log.info("converting depth to HEVC: %d/%d frames (%s)", done, total, path.name)

    return report




def pending_depth_videos(root: str | os.PathLike, config: DepthEncoderConfig | None = None) -> list[PendingVideo]:
    """The depth videos of the dataset at ``root`` whose codec (probed from the file) is not ``config``'s."""
    root = Path(root)
    target = target_codec_name(config or DepthEncoderConfig())
    pending = []
    for key in fmt.depth_video_keys(read_info(root)["features"]):
        for path in layout.find(root, fmt.video_files(key)):
            try:
                with av.open(str(path)) as container:
                    codec = container.streams.video[0].codec_context.name
                frames = sum(depth_video_segments(path)) if codec != target else 0
            except (av.FFmpegError, OSError, IndexError, ValueError, struct.error) as exc:
                raise DatasetError(f"{path.relative_to(root)}: not a readable video ({one_line(exc)})") from None
            if codec != target:
                pending.append(PendingVideo(key, path, codec, frames))
    return pending


def unconverted_depth_hint(root: str | os.PathLike, config: DepthEncoderConfig | None = None) -> str | None:
    """What to run when depth videos of the dataset at ``root`` are still in FFV1 (after a session that ended on
    an error); None when there are none, or they cannot be probed (the session's error is the one to report)."""
    try:
        pending = pending_depth_videos(root, config)
    except Exception:
        return None
    if not pending:
        return None
    keys = ", ".join(sorted({video.key for video in pending}))
    return (f"the depth of {keys} is stored with {pending[0].codec.upper()}, which LeRobot cannot read; "
            f"convert it with `lerec convert-depth {root}`")


def finish_pending_conversion(root: str | os.PathLike) -> bool:
    """Complete a conversion whose journal was written (renames, then info.json); True if there was one.
    Without a journal, removes converted files that a run interrupted before its commit left behind."""
    root = Path(root)
    journal = layout.confine(root, JOURNAL_PATH)
    if not journal.exists():
        for stray in layout.find(root, f"{fmt.VIDEO_CHUNKS}/.{fmt.VIDEO_FILE_NAMES}{CONVERTED_SUFFIX}"):
            stray.unlink()
        return False
    info = read_info(root)
    replace, features = _journal_plan(root, journal, info)
    for converted, original in replace:
        if converted.exists():
            os.replace(converted, original)
        elif not original.exists():
            raise DatasetError(f"{root}: {original} and its converted copy are both missing; restore from backup")
    for directory in {original.parent for _, original in replace}:
        fsync_dir(directory)
    update_feature_info(root, features, written=[original for _, original in replace])
    journal.unlink()
    return True


def _journal_plan(root: Path, journal: Path, info: dict[str, Any]
                  ) -> tuple[list[tuple[Path, Path]], dict[str, dict[str, Any]]]:
    """The journal's renames (converted copy, original), each a depth video of this dataset and the converted
    copy beside it, and its feature updates; a DatasetError naming the journal and the entry otherwise."""
    plan = read_json(journal)
    replace = plan.get("replace") if isinstance(plan, dict) else None
    features = plan.get("features") if isinstance(plan, dict) else None
    if not isinstance(replace, list) or not isinstance(features, dict):
        raise DatasetError(f"{journal}: expected {{'replace': [[converted, original], ...], 'features': {{...}}}}")
    depth_keys = set(fmt.depth_video_keys(info["features"]))
    renames = []
    for entry in replace:
        original = entry[1] if isinstance(entry, list) and len(entry) == 2 else None
        found = fmt.parse_video_path(original) if isinstance(original, str) else None
        if found is None or found[0] not in depth_keys or entry[0] != _converted_name(original):
            raise DatasetError(f"{journal}: entry {entry!r} is not a depth video of this dataset and its converted "
                               f"copy (videos/<depth key>/chunk-NNN/.file-NNN.mp4{CONVERTED_SUFFIX})")
        renames.append((layout.confine(root, entry[0], journal), layout.confine(root, original, journal)))
    for key, update in features.items():
        if key not in depth_keys or not isinstance(update, dict):
            raise DatasetError(f"{journal}: feature {key!r} is not a depth video of this dataset")
    return renames, features


def convert_dataset_depth(
    root: str | os.PathLike,
    config: DepthEncoderConfig | None = None,
    *,
    progress: DatasetProgress | None = None,
    encoder_threads: int | None = None,
) -> list[TranscodeResult]:
    """Convert every depth video of the dataset at ``root`` to ``config``'s codec (default: LeRobot's lossless
    HEVC Main 12; see :func:`conversion_depth_config`), codes verified identical, and update
    ``meta/info.json``. Returns one result per converted file."""
    root = Path(root)
    config = conversion_depth_config(config or DepthEncoderConfig())
    finish_pending_conversion(root)
    remove_transcode_leftovers(root)
    pending = pending_depth_videos(root, config)
    total = sum(video.frames for video in pending)
    results: list[TranscodeResult] = []
    done = 0
    try:
        for video in pending:
            report = (lambda n, _t, v=video, base=done: progress(base + n, total, v.path)) if progress else None
            results.append(transcode_depth_video(video.path, video.converted_path, config, progress=report,
                                                 encoder_threads=encoder_threads))
            done += video.frames
            log.info("converted %s (%s -> %s, %d frames)", video.path.relative_to(root), video.codec,
                     target_codec_name(config), video.frames)
    except BaseException:
        for video in pending:
            video.converted_path.unlink(missing_ok=True)
        raise
    if not pending:
        return results
    features = {video.key: fmt.converted_info(config, probe_stream_info(video.converted_path)) for video in pending}
    plan = {
        "replace": [[str(v.converted_path.relative_to(root)), str(v.path.relative_to(root))] for v in pending],
        "features": features,
    }
    journal = layout.confine(root, JOURNAL_PATH)
    journal.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomically(journal, plan)
    finish_pending_conversion(root)
    return results


def remove_transcode_leftovers(root: str | os.PathLike) -> None:
    """Delete the work folders and partial files of transcodes a crash interrupted (never a journal's files)."""
    root = Path(root)
    for chunk in root.glob(fmt.VIDEO_CHUNKS):
        for work in chunk.glob(".depth-transcode-*"):
            shutil.rmtree(layout.confine(root, str(work.relative_to(root))), ignore_errors=True)
        for partial in chunk.glob(f".{fmt.VIDEO_FILE_NAMES}{CONVERTED_SUFFIX}.partial"):
            layout.confine(root, str(partial.relative_to(root))).unlink(missing_ok=True)
