"""An episode of a dataset's fragmented MP4 as an MP4 of its own, for a browser to play: its fragments' bytes are
served from the file as they are (nothing re-encoded or written), behind a header and moved to time 0.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from lerec.encoding import fmp4
from lerec.errors import DatasetError


@attrs.define(frozen=True)
class EpisodeCut:
    """An episode of a dataset video file as an MP4 of its own, never written: ``parts`` are bytes (the header,
    each ``moof`` moved to time 0) and ``(offset, size)`` ranges of the file (each ``mdat`` as it is)."""

    path: Path
    parts: tuple[bytes | tuple[int, int], ...]
    size: int


def episode_cut(path: str | os.PathLike, start_frame: int, frames: int, fps: int) -> EpisodeCut:
    """The fragments holding frames ``start_frame ..`` ``+ frames`` of ``path`` as an MP4 whose frame k shows at
    k / fps; DatasetError when no fragment starts at ``start_frame`` (a file not fragmented, or cut elsewhere)."""
    path = Path(path)
    init = fmp4.strip_edit_list(fmp4.read_init(path))
    timescale = fmp4.track_timescale(init)
    if not timescale or timescale % fps:
        raise DatasetError(f"{path}: no fragmented track with a timescale that is a multiple of {fps} fps")
    start, end = start_frame * (timescale // fps), (start_frame + frames) * (timescale // fps)
    boxes = fmp4.file_boxes(path)
    parts: list[bytes | tuple[int, int]] = []
    delay = None
    with open(path, "rb") as f:
        for box, after in zip(boxes, boxes[1:]):
            if box.type != b"moof" or after.type != b"mdat":
                continue
            f.seek(box.offset)
            moof = f.read(box.size)
            decode_time = fmp4.fragment_decode_time(moof, fmp4.Box(b"moof", 0, box.size, box.header))
            if decode_time is None or not start <= decode_time < end:
                continue
            if delay is None:
                if decode_time != start:
                    break
                delay = fmp4.first_composition_offset(moof)
            parts += [bytes(fmp4.shifted_parts(moof, -start, len(parts) // 2 + 1)[0]), (after.offset, after.size)]
    if delay is None:
        raise DatasetError(f"{path}: no fragment starts at frame {start_frame}")
    parts.insert(0, fmp4.with_edit_list(init, delay) if delay else init)
    size = sum(len(p) if isinstance(p, bytes) else p[1] for p in parts)
    return EpisodeCut(path, tuple(parts), size)
