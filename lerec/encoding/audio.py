"""Audio streams stored losslessly: int16 samples as FLAC in an MP4 (``.m4a``) file, written block by block (memory
stays bounded whatever the length) and read back sample for sample."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from lerec.errors import EncoderError

CODEC = "flac"
CONTAINER = "mp4"
BLOCK = 4096  # samples per encoded frame (FLAC's usual block size)
SAMPLE_FORMAT = "s16"  # packed int16, channels interleaved
# FFmpeg's default layout of each channel count FLAC takes (1 to 8).
LAYOUTS = ("mono", "stereo", "3.0", "quad", "5.0", "5.1", "6.1", "7.1")
MAX_CHANNELS = len(LAYOUTS)


class AudioFileWriter:
    """Encodes one stream of int16 samples ``[n, channels]`` at ``rate`` Hz into ``path``; :meth:`close` finishes
    the file (nothing is readable before). ``sensor`` names the stream in errors."""

    def __init__(self, path: Path, rate: int, channels: int, sensor: str = "audio"):
        self.path = Path(path)
        self.rate, self.channels, self.sensor = int(rate), int(channels), sensor
        self.samples = 0
        self._held = np.empty((0, channels), dtype=np.int16)
        if not 1 <= self.channels <= MAX_CHANNELS:
            raise EncoderError(sensor, CODEC, f"FLAC takes 1 to {MAX_CHANNELS} channels, got {channels}")
        self._layout = LAYOUTS[self.channels - 1]
        try:
            self._container = av.open(str(path), "w", format=CONTAINER)
            self._stream = self._container.add_stream(CODEC, rate=self.rate, layout=self._layout)
            self._stream.format = SAMPLE_FORMAT
        except (av.FFmpegError, ValueError) as exc:
            raise EncoderError(sensor, CODEC, f"could not open {path}: {exc}") from None

    def write(self, values: np.ndarray) -> None:
        """Append samples (int16 ``[n, channels]``)."""
        values = np.asarray(values)
        if values.dtype != np.int16 or values.ndim != 2 or values.shape[1] != self.channels:
            raise EncoderError(self.sensor, CODEC, f"expected int16 samples [n, {self.channels}], got "
                               f"{values.dtype} {values.shape}")
        held = np.concatenate([self._held, values]) if len(self._held) else values
        full = len(held) - len(held) % BLOCK
        for start in range(0, full, BLOCK):
            self._encode(held[start:start + BLOCK])
        self._held = held[full:].copy()

    def close(self) -> None:
        """Encode what is held and finish the file."""
        if len(self._held):
            self._encode(self._held)
            self._held = self._held[:0]
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        finally:
            self._container.close()

    def abort(self) -> None:
        """Close without finishing (the file is then deleted by its owner)."""
        try:
            self._container.close()
        except (av.FFmpegError, OSError, ValueError):
            pass

    def _encode(self, block: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block).reshape(1, -1), format=SAMPLE_FORMAT,
                                           layout=self._layout)
        frame.sample_rate, frame.pts = self.rate, self.samples
        self.samples += len(block)
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except av.FFmpegError as exc:
            raise EncoderError(self.sensor, CODEC, str(exc)) from None


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    """Every sample of the audio file at ``path`` as int16 ``[n, channels]``, and its sample rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        channels = stream.layout.nb_channels
        blocks = [frame.to_ndarray().reshape(-1, channels) for frame in container.decode(stream)]
        rate = int(stream.rate)
    if not blocks:
        return np.empty((0, channels), dtype=np.int16), rate
    return np.concatenate(blocks).astype(np.int16, copy=False), rate


def probe_audio(path: Path) -> dict:
    """The codec, sample rate and channels of an audio file (reads the header only)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return {"codec": stream.codec_context.name, "sample_rate": int(stream.rate),
                "channels": stream.layout.nb_channels}
