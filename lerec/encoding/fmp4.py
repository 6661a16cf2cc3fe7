"""Fragmented MP4 files that grow by whole episodes, without re-muxing what is already there.

A dataset video file is ``ftyp + moov`` (from its first episode) followed by one ``moof + mdat`` fragment per
episode. Each episode is encoded on its own into a one-fragment MP4; appending it copies its fragment and shifts
the fragment's decode time (``tfdt``) to where the episode starts in the file. The cost is that of the episode,
and a crash can only leave an incomplete last fragment, which :func:`truncate_to_fragments` removes.

Codecs that reorder frames (B-frames) start their first frame at a composition offset; FFmpeg writes no edit
list in fragmented files, so the file's header gets one, and frame k of the file shows at exactly k / fps.

This module (with :mod:`lerec.encoding.fmp4_cut`, which reads an episode out of a file through it) is the one
reader and writer of MP4 boxes in lerec: everything else goes through them.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
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


def _box_at(buf: bytes | bytearray | memoryview, offset: int, pos: int, end: int) -> Box | None:
    """The box whose header starts at ``buf[offset:]`` and lies at ``pos`` of a run of boxes ending at ``end``;
    None when the header is cut short or the box claims more than there is."""
    available = min(len(buf) - offset, end - pos)
    if available < 8:
        return None
    size, kind = struct.unpack_from(">I4s", buf, offset)
    length = 8
    if size == 1:
        if available < 16:
            return None
        size, length = struct.unpack_from(">Q", buf, offset + 8)[0], 16
    elif size == 0:
        size = end - pos
    if size < length or pos + size > end:
        return None
    return Box(kind, pos, size, length)


def iter_boxes(data: bytes | memoryview, start: int = 0, end: int | None = None) -> Iterator[Box]:
    """The boxes laid one after another in ``data[start:end]``; stops at an incomplete box."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        box = _box_at(data, pos, pos, end)
        if box is None:
            return
        yield box
        pos = box.end


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

    def without_edit_list(self) -> EpisodeFragment:
        """This episode with a header that has no edit list (:func:`append_episode` writes the one a file needs)."""
        return attrs.evolve(self, init=strip_edit_list(self.init))


def track_timescale(init: bytes) -> int:
    """The track's timescale (ticks per second) from the ``mdhd`` box of a ``ftyp + moov`` header; 0 if none."""
    mdhd = find_box(init, [b"moov", b"trak", b"mdia", b"mdhd"])
    if mdhd is None:
        return 0
    version = init[mdhd.offset + 8]
    return struct.unpack_from(">I", init, mdhd.offset + (28 if version == 1 else 20))[0]


def sample_size(init: bytes) -> tuple[int, int] | None:
    """(width, height) of the video sample entry of a ``ftyp + moov`` header (the stream's frame size); None if it
    has none."""
    stsd = find_box(init, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"])
    entry = stsd.offset + stsd.header + 8 if stsd else 0  # after version, flags and entry count
    if stsd is None or entry + 36 > stsd.end:
        return None
    return struct.unpack_from(">HH", init, entry + 32)  # VisualSampleEntry: 8 header + 24 bytes, then the size


def strip_edit_list(init: bytes) -> bytes:
    """``init`` without the track's edit list."""
    moov = find_box(init, [b"moov"])
    trak = find_box(init, [b"trak"], moov.offset + moov.header, moov.end) if moov else None
    edts = find_box(init, [b"edts"], trak.offset + trak.header, trak.end) if trak else None
    if edts is None:
        return init
    data = bytearray(init)
    del data[edts.offset : edts.end]
    for box in (moov, trak):
        struct.pack_into(">I", data, box.offset, box.size - edts.size)
    return bytes(data)


def fragment_samples(data: bytes | memoryview, moof: Box) -> int:
    """How many samples (frames) the fragment ``moof`` holds: the sum over its ``traf``/``trun`` boxes."""
    samples = 0
    for traf in iter_boxes(data, moof.offset + moof.header, moof.end):
        if traf.type == b"traf":
            for trun in iter_boxes(data, traf.offset + traf.header, traf.end):
                if trun.type == b"trun":
                    samples += struct.unpack_from(">I", data, trun.offset + 12)[0]
    return samples


def fragment_decode_time(data: bytes | memoryview, moof: Box) -> int | None:
    """The decode time (``tfdt``, track ticks) of the first sample of the fragment ``moof``, or None."""
    traf = find_box(data, [b"traf"], moof.offset + moof.header, moof.end)
    tfdt = find_box(data, [b"tfdt"], traf.offset + traf.header, traf.end) if traf else None
    if tfdt is None:
        return None
    version = data[tfdt.offset + 8]
    return struct.unpack_from(">Q" if version == 1 else ">I", data, tfdt.offset + 12)[0]


def fragment_sample_counts(path: str | os.PathLike) -> list[int]:
    """Frames in each ``moof`` fragment of the MP4 at ``path`` (lerec writes one per episode); empty for an MP4
    that is not fragmented; a DatasetError for a file that is not an MP4 (no ``moov``)."""
    data = Path(path).read_bytes()
    counts = [fragment_samples(data, box) for box in iter_boxes(data) if box.type == b"moof"]
    if not counts and find_box(data, [b"moov"]) is None:
        raise DatasetError(f"{path}: not an MP4 file (no moov box)")
    return counts


@attrs.define(frozen=True)
class FileFragment:
    """A ``moof + mdat`` pair of a file: its bytes ``[begin, end)``, first decode time and frame count."""

    begin: int
    end: int
    decode_time: int
    samples: int


class FragmentedFile:
    """A fragmented MP4 read once: its header (without edit list), timescale and complete fragments."""

    def __init__(self, path: str | os.PathLike):
        self.data = data = Path(path).read_bytes()
        boxes = list(iter_boxes(data))
        init = b"".join(data[b.offset : b.end] for b in boxes if b.type in (b"ftyp", b"moov"))
        self.init = strip_edit_list(init)
        self.timescale = track_timescale(init)
        self.fragments: list[FileFragment] = []
        for box, after in zip(boxes, boxes[1:]):
            if box.type == b"moof" and after.type == b"mdat":
                decode_time = fragment_decode_time(data, box)
                if decode_time is not None:
                    self.fragments.append(FileFragment(box.offset, after.end, decode_time, fragment_samples(data, box)))

    def episode(self, fragment: FileFragment) -> EpisodeFragment:
        """``fragment`` as an episode to append elsewhere (its ``tfdt`` is kept: shift it by what it holds)."""
        return EpisodeFragment(self.init, self.data[fragment.begin : fragment.end], self.timescale)


def read_episode_fragment(path: str | os.PathLike) -> EpisodeFragment:
    """Split a one-episode fragmented MP4 (as the episode encoder writes it) into header and fragment."""
    data = Path(path).read_bytes()
    init = bytearray()
    media = [box for box in iter_boxes(data) if box.type in (b"moof", b"mdat")]
    for box in iter_boxes(data):
        if box.type in (b"ftyp", b"moov"):
            init += data[box.offset : box.end]
    timescale = track_timescale(bytes(init))
    if not timescale or not media:
        raise DatasetError(f"{path}: not a fragmented MP4 with one track")
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


def shifted_parts(fragment: bytes | memoryview, tick_offset: int, sequence: int) -> list[bytes | memoryview]:
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
            box = _box_at(f.read(16), 0, pos, end)
            if box is None:
                break
            boxes.append(box)
            pos = box.end
    return boxes


def fragments_in(boxes: list[Box]) -> int:
    """How many fragments (``moof`` boxes) a file's top-level ``boxes`` hold."""
    return sum(1 for box in boxes if box.type == b"moof")


def count_fragments(path: str | os.PathLike) -> int:
    """How many complete ``moof + mdat`` fragments a dataset video file holds."""
    return fragments_in(file_boxes(path))


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


def _episode_parts(episode: EpisodeFragment, shift_frames: int, fps: int, sequence: int,
                   header: bool) -> list[bytes | memoryview]:
    """What :func:`append_episode` writes: the header when ``header`` (with the edit list a reordering codec
    needs), then the fragment with its decode time moved by ``shift_frames`` frames and numbered ``sequence``."""
    if (episode.timescale % fps) != 0:
        raise DatasetError(f"track timescale {episode.timescale} is not a multiple of fps {fps}")
    parts = shifted_parts(episode.fragment, shift_frames * (episode.timescale // fps), sequence)
    if header:
        delay = first_composition_offset(episode.fragment)
        parts.insert(0, with_edit_list(episode.init, delay) if delay else episode.init)
    return parts


def append_episode(path: str | os.PathLike, episode: EpisodeFragment, start_frame: int, fps: int) -> None:
    """Append ``episode`` to the file at ``path`` (created if missing), its decode times moved by ``start_frame``
    frames (where it starts, for an episode encoded from frame 0); on disk (fsync) when this returns."""
    path = Path(path)
    exists = path.exists()
    sequence = (count_fragments(path) if exists else 0) + 1
    parts = _episode_parts(episode, start_frame, fps, sequence, header=not exists)
    with open(path, "ab") as f:
        for part in parts:
            f.write(part)
        f.flush()
        os.fsync(f.fileno())


def episode_mp4(episode: EpisodeFragment, shift_frames: int, fps: int) -> bytes:
    """``episode`` as a standalone one-fragment MP4, its decode times moved by ``shift_frames`` frames."""
    return b"".join(_episode_parts(episode, shift_frames, fps, 1, header=True))


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
