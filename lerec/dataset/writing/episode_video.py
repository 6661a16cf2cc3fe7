"""One episode's video taken out of a dataset file as a movable fragment, without re-encoding.

lerec's files hold one ``moof + mdat`` fragment per episode, found by its decode time (``tfdt`` = first frame x
ticks per frame) and copied as bytes. Other MP4s (LeRobot's, which are not fragmented) are remuxed packet by
packet into a one-fragment file. Either way the result is an :class:`EpisodeFragment` that
:func:`lerec.encoding.fmp4.append_episode` places anywhere in another file. Every box is read and written by
:mod:`lerec.encoding.fmp4`; this module keeps the frame bookkeeping and the PyAV remux.
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections import OrderedDict
from pathlib import Path

import attrs
import av

from lerec.dataset.spec import checksums
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

    def to_mp4(self, fps: int) -> bytes:
        """The episode as a standalone MP4 whose first frame is at 0 s."""
        return fmp4.episode_mp4(self.fragment, -self.start_frame, fps)


class FileEpisodes:
    """A lerec video file parsed once (:class:`lerec.encoding.fmp4.FragmentedFile`): its fragments by the frame
    they start at."""

    def __init__(self, path: Path, fps: int, committed: checksums.FileChecksum | None = None):
        self.file = fmp4.FragmentedFile(path)
        checksums.verify(path, committed, self.file.data)
        self.fragments: dict[int, fmp4.FileFragment] = {}
        timescale = self.file.timescale
        if not timescale or timescale % fps:
            return
        ticks = timescale // fps
        for fragment in self.file.fragments:
            if fragment.decode_time % ticks == 0:
                self.fragments[fragment.decode_time // ticks] = fragment

    def episode(self, start_frame: int, length: int) -> MovableEpisode | None:
        found = self.fragments.get(start_frame)
        if found is None or found.samples != length:
            return None
        return MovableEpisode(self.file.episode(found), start_frame)


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
    return MovableEpisode(fragment.without_edit_list(), 0)


class EpisodeVideoSource:
    """Episodes' videos of source datasets, with the last few parsed files kept."""

    def __init__(self, keep: int = 4):
        self.keep = keep
        self._files: OrderedDict[Path, FileEpisodes] = OrderedDict()

    def _parsed(self, path: Path, fps: int, committed: checksums.FileChecksum | None) -> FileEpisodes:
        if path not in self._files:
            self._files[path] = FileEpisodes(path, fps, committed)
            while len(self._files) > self.keep:
                self._files.popitem(last=False)
        self._files.move_to_end(path)
        return self._files[path]

    def episode(self, path: Path, from_s: float, length: int, fps: int,
                committed: checksums.FileChecksum | None = None) -> MovableEpisode:
        """The episode of ``length`` frames starting at ``from_s`` in ``path``, ready to append elsewhere; with
        ``committed``, the file's bytes are checked against it first."""
        if not path.exists():
            raise DatasetError(f"{path}: video file is missing")
        try:
            start = round(from_s * fps)
            if abs(start / fps - from_s) < 1e-6:
                found = self._parsed(path, fps, committed).episode(start, length)
                if found is not None:
                    return found
            checksums.verify(path, committed)
            return remux_episode(path, from_s, length, fps)
        except (av.FFmpegError, OSError, struct.error, IndexError, ValueError) as exc:
            # The bytes of a damaged file: boxes that claim more than there is, a stream PyAV cannot open.
            raise DatasetError(f"{path}: cannot read the episode at {from_s:.6f} s ({one_line(exc)})") from None
