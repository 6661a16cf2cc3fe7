"""Fragmented MP4 files that grow by whole episodes, without re-muxing what is already there.

A dataset video file is ``ftyp + moov`` (from its first episode) followed by one ``moof + mdat`` fragment per
episode. Each episode is encoded on its own into a one-fragment MP4; appending it copies its fragment and shifts
the fragment's decode time (``tfdt``) to where the episode starts in the file. The cost is that of the episode,
and a crash can only leave an incomplete last fragment, which :func:`truncate_to_fragments` removes.

Codecs that reorder frames (B-frames) start their first frame at a composition offset; FFmpeg writes no edit
list in fragmented files, so the file's header gets one, and frame k of the file shows at exactly k / fps.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import attrs

from lerec.errors import DatasetError

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"moof", b"traf", b"mvex"}


@attrs.define(frozen=True)
class Box:
    type: bytes
    offset: int
    size: int
    header: int

    @property
    def end(self) -> int:
        return self.offset + self.size


def iter_boxes(data: bytes | memoryview, start: int = 0, end: int | None = None):
    """The boxes laid one after another in ``data[start:end]``; stops at an incomplete box."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                return
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return
        yield Box(kind, pos, size, header)
        pos += size


def find_box(data: bytes, path: list[bytes], start: int = 0, end: int | None = None) -> Box | None:
    """The first box at ``path`` (e.g. ``[b"moov", b"trak", b"mdia", b"mdhd"]``) inside ``data[start:end]``."""
    for box in iter_boxes(data, start, end):
        if box.type == path[0]:
            if len(path) == 1:
                return box
            return find_box(data, path[1:], box.offset + box.header, box.end)
    return None


@attrs.define(frozen=True)
class EpisodeFragment:
    """An encoded episode split into the file header it needs and its one fragment."""

    init: bytes
    fragment: bytes | memoryview  # moof + mdat: a view into the file read, not a copy of it
    timescale: int

    @property
    def sample_description(self) -> bytes:
        box = find_box(self.init, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"])
        return self.init[box.offset : box.end] if box else b""


def read_episode_fragment(path: str | os.PathLike) -> EpisodeFragment:
    """Split a one-episode fragmented MP4 (as the episode encoder writes it) into header and fragment."""
    data = Path(path).read_bytes()
    init = bytearray()
    media = [box for box in iter_boxes(data) if box.type in (b"moof", b"mdat")]
    for box in iter_boxes(data):
        if box.type in (b"ftyp", b"moov"):
            init += data[box.offset : box.end]
    mdhd = find_box(bytes(init), [b"moov", b"trak", b"mdia", b"mdhd"])
    if mdhd is None or not media:
        raise DatasetError(f"{path}: not a fragmented MP4 with one track")
    version = init[mdhd.offset + 8]
    timescale = struct.unpack_from(">I", init, mdhd.offset + (28 if version == 1 else 20))[0]
    if all(a.end == b.offset for a, b in zip(media, media[1:])):  # side by side, as the encoder writes them
        fragment: bytes | memoryview = memoryview(data)[media[0].offset : media[-1].end]
    else:
        fragment = b"".join(data[box.offset : box.end] for box in media)
    return EpisodeFragment(bytes(init), fragment, timescale)


def first_composition_offset(fragment: bytes) -> int:
    """The composition time offset of the first sample of a fragment (the encoder's reorder delay)."""
    traf = find_box(fragment, [b"moof", b"traf"])
    trun = find_box(fragment, [b"trun"], traf.offset + traf.header, traf.end) if traf else None
    if trun is None:
        return 0
    version = fragment[trun.offset + 8]
    flags = int.from_bytes(fragment[trun.offset + 9 : trun.offset + 12], "big")
    if not flags & 0x800:
        return 0
    pos = trun.offset + 16  # after the header, version/flags and sample_count
    pos += 4 if flags & 0x1 else 0
    pos += 4 if flags & 0x4 else 0
    pos += 4 * sum(1 for bit in (0x100, 0x200, 0x400) if flags & bit)
    return struct.unpack_from(">i" if version else ">I", fragment, pos)[0]


def with_edit_list(init: bytes, media_time: int) -> bytes:
    """``init`` with an edit list that starts presentation at ``media_time`` (track timescale)."""
    data = bytearray(init)
    moov = find_box(init, [b"moov"])
    trak = find_box(init, [b"trak"], moov.offset + moov.header, moov.end)
    tkhd = find_box(init, [b"tkhd"], trak.offset + trak.header, trak.end)
    if find_box(init, [b"edts"], trak.offset + trak.header, trak.end) is not None:
        raise DatasetError("the track already has an edit list")
    elst = struct.pack(">I4sIIIIhh", 28, b"elst", 0, 1, 0, media_time, 1, 0)
    edts = struct.pack(">I4s", 8 + len(elst), b"edts") + elst
    data[tkhd.end : tkhd.end] = edts
    for box in (moov, trak):
        struct.pack_into(">I", data, box.offset, box.size + len(edts))
    return bytes(data)


def _shifted_parts(fragment: bytes | memoryview, tick_offset: int, sequence: int) -> list[bytes | memoryview]:
    """The fragment's boxes with each ``moof`` copied and patched (sequence number, decode time + offset) and the
    media data left where it is: an episode's megabytes are written out without being copied in memory."""
    view = memoryview(fragment)
    parts: list[bytes | memoryview] = []
    for box in iter_boxes(view):
        if box.type != b"moof":
            parts.append(view[box.offset : box.end])
            continue
        moof = bytearray(view[box.offset : box.end])
        for child in iter_boxes(moof, box.header):
            if child.type == b"mfhd":
                struct.pack_into(">I", moof, child.offset + 12, sequence)
            elif child.type == b"traf":
                tfdt = find_box(moof, [b"tfdt"], child.offset + child.header, child.end)
                if tfdt is None:
                    raise DatasetError("fragment has no tfdt box")
                pos = tfdt.offset + 12
                if moof[tfdt.offset + 8] == 1:
                    struct.pack_into(">Q", moof, pos, struct.unpack_from(">Q", moof, pos)[0] + tick_offset)
                else:
                    value = struct.unpack_from(">I", moof, pos)[0] + tick_offset
                    if value >= 2**32:
                        raise DatasetError("tfdt overflow in a version-0 box")
                    struct.pack_into(">I", moof, pos, value)
        parts.append(bytes(moof))
    return parts


def file_boxes(path: str | os.PathLike) -> list[Box]:
    """The top-level boxes of the file at ``path``, read by their headers only (no media data is read)."""
    boxes = []
    with open(path, "rb") as f:
        end = os.fstat(f.fileno()).st_size
        pos = 0
        while pos + 8 <= end:
            f.seek(pos)
            header = f.read(16)
            size, kind = struct.unpack_from(">I4s", header)
            length = 8
            if size == 1:
                if len(header) < 16:
                    break
                size, length = struct.unpack_from(">Q", header, 8)[0], 16
            elif size == 0:
                size = end - pos
            if size < length or pos + size > end:
                break
            boxes.append(Box(kind, pos, size, length))
            pos += size
    return boxes


def count_fragments(path: str | os.PathLike) -> int:
    """How many complete ``moof + mdat`` fragments a dataset video file holds."""
    return sum(1 for box in file_boxes(path) if box.type == b"moof")


def read_init(path: str | os.PathLike) -> bytes:
    """The ``ftyp + moov`` header of a dataset video file."""
    parts = []
    with open(path, "rb") as f:
        for box in file_boxes(path):
            if box.type in (b"ftyp", b"moov"):
                f.seek(box.offset)
                parts.append(f.read(box.size))
    return b"".join(parts)


def can_append(path: str | os.PathLike, episode: EpisodeFragment) -> bool:
    """Whether ``episode`` was encoded with the same stream parameters as the file at ``path``."""
    head = EpisodeFragment(read_init(path), b"x", episode.timescale)
    return head.sample_description == episode.sample_description


def append_episode(path: str | os.PathLike, episode: EpisodeFragment, start_frame: int, fps: int) -> None:
    """Append ``episode`` to the file at ``path`` (created if missing), starting at frame ``start_frame``;
    the data is on disk (fsync) when this returns."""
    if (episode.timescale % fps) != 0:
        raise DatasetError(f"track timescale {episode.timescale} is not a multiple of fps {fps}")
    path = Path(path)
    exists = path.exists()
    sequence = (count_fragments(path) if exists else 0) + 1
    parts = _shifted_parts(episode.fragment, start_frame * (episode.timescale // fps), sequence)
    with open(path, "ab") as f:
        if not exists:
            delay = first_composition_offset(episode.fragment)
            f.write(with_edit_list(episode.init, delay) if delay else episode.init)
        for part in parts:
            f.write(part)
        f.flush()
        os.fsync(f.fileno())


def truncate_to_fragments(path: str | os.PathLike, keep: int) -> bool:
    """Cut the file after its first ``keep`` fragments (what a crash mid-append leaves); True if it changed."""
    size = os.path.getsize(path)
    end = 0
    seen = 0
    for box in file_boxes(path):
        if box.type == b"moof":
            if seen == keep:
                break
            seen += 1
        elif box.type not in (b"ftyp", b"moov", b"mdat", b"free"):
            continue
        end = box.end
    if end == size:
        return False
    with open(path, "r+b") as f:
        f.truncate(end)
        os.fsync(f.fileno())
    return True
