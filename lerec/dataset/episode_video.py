"""One episode's video taken out of a dataset file as a movable fragment, without re-encoding.

lerec's files hold one ``moof + mdat`` fragment per episode, found by its decode time (``tfdt`` = first frame x
ticks per frame) and copied as bytes. Other MP4s (LeRobot's, which are not fragmented) are remuxed packet by
packet into a one-fragment file. Either way the result is an :class:`EpisodeFragment` that
:func:`lerec.encoding.fmp4.append_episode` places anywhere in another file.
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections import OrderedDict
from pathlib import Path

import attrs
import av

from lerec.encoding import fmp4
from lerec.encoding.episode_encoder import FRAGMENTED_MP4
from lerec.errors import DatasetError, one_line


@attrs.define(frozen=True)
class MovableEpisode:
    """An episode's fragment and the frame its ``tfdt`` says it starts at (``append_episode`` adds to it)."""

    fragment: fmp4.EpisodeFragment
    start_frame: int

    def append_to(self, path: str | os.PathLike, start_frame: int, fps: int) -> None:
        fmp4.append_episode(path, self.fragment, start_frame - self.start_frame, fps)


def strip_edit_list(init: bytes) -> bytes:
    """``init`` without the track's edit list (``append_episode`` writes the one the new file needs)."""
    moov = fmp4.find_box(init, [b"moov"])
    trak = fmp4.find_box(init, [b"trak"], moov.offset + moov.header, moov.end) if moov else None
    edts = fmp4.find_box(init, [b"edts"], trak.offset + trak.header, trak.end) if trak else None
    if edts is None:
        return init
    data = bytearray(init)
    del data[edts.offset : edts.end]
    for box in (moov, trak):
        struct.pack_into(">I", data, box.offset, box.size - edts.size)
    return bytes(data)


def _fragment_facts(data: bytes, moof: fmp4.Box) -> tuple[int, int]:
    """(tfdt, sample count) of a one-track fragment."""
    traf = fmp4.find_box(data, [b"traf"], moof.offset + moof.header, moof.end)
    tfdt = fmp4.find_box(data, [b"tfdt"], traf.offset + traf.header, traf.end) if traf else None
    trun = fmp4.find_box(data, [b"trun"], traf.offset + traf.header, traf.end) if traf else None
    if tfdt is None or trun is None:
        return -1, -1
    version = data[tfdt.offset + 8]
    decode_time = struct.unpack_from(">Q" if version == 1 else ">I", data, tfdt.offset + 12)[0]
    return decode_time, struct.unpack_from(">I", data, trun.offset + 12)[0]


class FragmentedFile:
    """A lerec video file parsed once: its header and fragments by first frame."""

    def __init__(self, path: Path, fps: int):
        self.path = path
        data = path.read_bytes()
        self.data = data
        boxes = list(fmp4.iter_boxes(data))
        init = b"".join(data[b.offset : b.end] for b in boxes if b.type in (b"ftyp", b"moov"))
        self.init = strip_edit_list(init)
        self.timescale = _timescale(init)
        self.fragments: dict[int, tuple[int, int, int]] = {}
        if not self.timescale or self.timescale % fps:
            return
        ticks = self.timescale // fps
        for i, box in enumerate(boxes):
            if box.type == b"moof" and i + 1 < len(boxes) and boxes[i + 1].type == b"mdat":
                decode_time, samples = _fragment_facts(data, box)
                if decode_time >= 0 and decode_time % ticks == 0:
                    self.fragments[decode_time // ticks] = (box.offset, boxes[i + 1].end, samples)

    def episode(self, start_frame: int, length: int) -> MovableEpisode | None:
        found = self.fragments.get(start_frame)
        if found is None or found[2] != length:
            return None
        begin, end, _ = found
        return MovableEpisode(fmp4.EpisodeFragment(self.init, self.data[begin:end], self.timescale), start_frame)


def _timescale(init: bytes) -> int:
    mdhd = fmp4.find_box(init, [b"moov", b"trak", b"mdia", b"mdhd"])
    if mdhd is None:
        return 0
    version = init[mdhd.offset + 8]
    return struct.unpack_from(">I", init, mdhd.offset + (28 if version == 1 else 20))[0]


def remux_episode(path: Path, from_s: float, length: int, fps: int, tolerance_s: float = 1e-4) -> MovableEpisode:
    """The packets of frames ``from_s .. from_s + length/fps`` of any MP4, remuxed into one fragment."""
    end_s = from_s + length / fps
    with tempfile.TemporaryDirectory(prefix="lerec-remux-") as tmp:
        out_path = Path(tmp) / "episode.mp4"
        with av.open(str(path)) as src:
            stream = src.streams.video[0]
            tb = stream.time_base
            packets = [p for p in src.demux(stream) if p.pts is not None and p.size
                       and from_s - tolerance_s <= float(p.pts * tb) < end_s - tolerance_s]
            if len(packets) != length:
                raise DatasetError(f"{path}: {len(packets)} frames between {from_s:.6f} and {end_s:.6f} s, "
                                   f"expected {length}")
            packets.sort(key=lambda p: p.dts if p.dts is not None else p.pts)
            if not packets[0].is_keyframe:
                raise DatasetError(f"{path}: the episode at {from_s:.6f} s does not start with a keyframe, so it "
                                   "cannot be copied without re-encoding")
            shift = packets[0].dts if packets[0].dts is not None else packets[0].pts
            with av.open(str(out_path), "w", format="mp4", options=dict(FRAGMENTED_MP4)) as dst:
                out = dst.add_stream_from_template(stream, opaque=True)
                out.time_base = tb
                for packet in packets:
                    packet.pts -= shift
                    if packet.dts is not None:
                        packet.dts -= shift
                    packet.stream = out
                    dst.mux(packet)
        fragment = fmp4.read_episode_fragment(out_path)
    return MovableEpisode(attrs.evolve(fragment, init=strip_edit_list(fragment.init)), 0)


class EpisodeVideoSource:
    """Episodes' videos of source datasets, with the last few parsed files kept."""

    def __init__(self, keep: int = 4):
        self.keep = keep
        self._files: OrderedDict[Path, FragmentedFile] = OrderedDict()

    def _parsed(self, path: Path, fps: int) -> FragmentedFile:
        if path not in self._files:
            self._files[path] = FragmentedFile(path, fps)
            while len(self._files) > self.keep:
                self._files.popitem(last=False)
        self._files.move_to_end(path)
        return self._files[path]

    def episode(self, path: Path, from_s: float, length: int, fps: int) -> MovableEpisode:
        """The episode of ``length`` frames starting at ``from_s`` in ``path``, ready to append elsewhere."""
        if not path.exists():
            raise DatasetError(f"{path}: video file is missing")
        try:
            start = round(from_s * fps)
            if abs(start / fps - from_s) < 1e-6:
                found = self._parsed(path, fps).episode(start, length)
                if found is not None:
                    return found
            return remux_episode(path, from_s, length, fps)
        except (av.FFmpegError, OSError, struct.error, IndexError, ValueError) as exc:
            # The bytes of a damaged file: boxes that claim more than there is, a stream PyAV cannot open.
            raise DatasetError(f"{path}: cannot read the episode at {from_s:.6f} s ({one_line(exc)})") from None
