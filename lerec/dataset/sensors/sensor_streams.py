"""One episode of a sensor stream, written while it is recorded and read back.

:class:`EpisodeStreamWriter` writes into the staging folder as samples come (row groups of capture times and
values in parquet, audio as FLAC block by block), so memory stays bounded whatever the episode's length;
:func:`lerec.dataset.sensors.sensor_store.place_episode` then moves its files into the dataset. :class:`SensorStreams`
reads an episode's stream, or the samples around a frame, with the last few streams read kept in memory.
"""

from __future__ import annotations

import collections
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lerec.dataset.sensors.sensor_store import StreamDecl, episode_files
from lerec.dataset.spec import format as fmt
from lerec.encoding.audio import AudioFileWriter, read_audio
from lerec.errors import DatasetError

ROW_GROUP_SAMPLES = 65_536  # samples held before they are written out as a row group
CACHED_STREAMS = 8


def _arrow_values_type(decl: StreamDecl) -> pa.DataType:
    return pa.list_(pa.from_numpy_dtype(np.dtype(decl.dtype)), decl.channels)


class EpisodeStreamWriter:
    """Writes one episode of stream ``decl`` into ``staging``, from the episode's first tick (``start``) on."""

    def __init__(self, staging: Path, decl: StreamDecl, episode: int, start_ns: int):
        self.decl = decl
        self.start_ns = int(start_ns)
        self.samples = 0
        stem = f"{decl.key}-{episode}"
        self.paths = [Path(staging) / f"{stem}.parquet"] + ([Path(staging) / f"{stem}.m4a"] if decl.audio else [])
        fields = [pa.field(fmt.SENSOR_TIMESTAMP, pa.int64())]
        if not decl.audio:
            fields.append(pa.field(fmt.SENSOR_VALUES, _arrow_values_type(decl)))
        self._schema = pa.schema(fields, metadata={fmt.SENSOR_START_KEY: str(self.start_ns).encode()})
        self._times: list[np.ndarray] = []
        self._values: list[np.ndarray] = []
        self._held = 0
        self._parquet = pq.ParquetWriter(self.paths[0], self._schema, compression="zstd", use_dictionary=False,
                                         column_encoding={fmt.SENSOR_TIMESTAMP: "DELTA_BINARY_PACKED"})
        self._audio = AudioFileWriter(self.paths[1], int(decl.rate_hz), decl.channels, decl.key) \
            if decl.audio else None

    def write(self, timestamps_ns: np.ndarray, values: np.ndarray) -> None:
        """Add samples (capture times on the recording clock, values ``[n, channels]``)."""
        if not len(timestamps_ns):
            return
        values = np.asarray(values, dtype=np.dtype(self.decl.dtype))
        if self._audio is not None:
            self._audio.write(values)
        else:
            self._values.append(values)
        self._times.append(np.asarray(timestamps_ns, dtype=np.int64) - self.start_ns)
        self._held += len(timestamps_ns)
        self.samples += len(timestamps_ns)
        if self._held >= ROW_GROUP_SAMPLES:
            self._flush()

    def close(self) -> list[Path]:
        """Finish the files; returns them (capture times first)."""
        self._flush()
        self._parquet.close()
        if self._audio is not None:
            self._audio.close()
        return self.paths

    def abort(self) -> None:
        """Close and delete the files."""
        for closing in (self._parquet.close, self._audio.abort if self._audio else None):
            try:
                if closing:
                    closing()
            except Exception:  # the files go anyway
                pass
        for path in self.paths:
            path.unlink(missing_ok=True)

    def _flush(self) -> None:
        times = np.concatenate(self._times) if self._times else np.empty(0, dtype=np.int64)
        columns = [pa.array(times)]
        if self._audio is None:
            values = np.concatenate(self._values) if self._values else \
                np.empty((0, self.decl.channels), dtype=np.dtype(self.decl.dtype))
            columns.append(pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), self.decl.channels))
        if len(times) or self.samples == 0:
            self._parquet.write_table(pa.Table.from_arrays(columns, schema=self._schema))
        self._times, self._values, self._held = [], [], 0


def read_stream(root: Path, decl: StreamDecl, episode: int, chunks_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Episode ``episode`` of stream ``decl``: capture times (int64 ns after the episode's first tick) and values
    ``[n, channels]``."""
    files = episode_files(root, decl, episode, chunks_size)
    if not files[0].is_file():
        raise DatasetError(f"{files[0]}: episode {episode} of stream {decl.key} is missing")
    table = pq.read_table(files[0])
    times = table.column(fmt.SENSOR_TIMESTAMP).to_numpy().astype(np.int64, copy=False)
    if decl.audio:
        values, rate = read_audio(files[1])
        if rate != int(decl.rate_hz):
            raise DatasetError(f"{files[1]}: sample rate {rate}, declared {decl.rate_hz:g}")
    else:
        flat = table.column(fmt.SENSOR_VALUES).combine_chunks().flatten().to_numpy(zero_copy_only=False)
        values = flat.reshape(-1, decl.channels).astype(np.dtype(decl.dtype), copy=False)
    if len(values) != len(times):
        raise DatasetError(f"{files[-1]}: {len(values)} samples for {len(times)} capture times")
    return times, values


def episode_start_ns(root: Path, decl: StreamDecl, episode: int, chunks_size: int) -> int:
    """The episode's first tick on the recording clock (``time.monotonic_ns`` of the recording machine)."""
    path = episode_files(root, decl, episode, chunks_size)[0]
    metadata = pq.read_schema(path).metadata or {}
    if fmt.SENSOR_START_KEY not in metadata:
        raise DatasetError(f"{path}: no {fmt.SENSOR_START_KEY.decode()} in its metadata")
    return int(metadata[fmt.SENSOR_START_KEY])


class SensorStreams:
    """The sensor streams of the dataset at ``root``: whole episodes, or windows of samples around a time."""

    def __init__(self, root: Path, streams: dict[str, StreamDecl], chunks_size: int):
        self.root, self.streams, self.chunks_size = Path(root), streams, chunks_size
        self._cache: collections.OrderedDict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = \
            collections.OrderedDict()

    def decl(self, name: str) -> StreamDecl:
        """The stream called ``name``: its key (``observation.sensors.imu``) or its sensor's name (``imu``)."""
        if name in self.streams:
            return self.streams[name]
        found = [d for d in self.streams.values() if d.sensor == name]
        if len(found) != 1:
            raise DatasetError(f"{self.root} has no sensor stream {name!r}; its streams: "
                               f"{', '.join(self.streams) or 'none'}")
        return found[0]

    def stream(self, episode: int, name: str) -> tuple[np.ndarray, np.ndarray]:
        decl = self.decl(name)
        cached = self._cache.get((episode, decl.key))
        if cached is None:
            cached = read_stream(self.root, decl, episode, self.chunks_size)
            self._cache[(episode, decl.key)] = cached
            while len(self._cache) > CACHED_STREAMS:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end((episode, decl.key))
        return cached

    def window(self, episode: int, name: str, at_ns: int, before_ns: int, after_ns: int) -> tuple[np.ndarray,
                                                                                                 np.ndarray]:
        """The samples captured from ``at_ns - before_ns`` to ``at_ns + after_ns`` (both included)."""
        times, values = self.stream(episode, name)
        lo = np.searchsorted(times, at_ns - before_ns, side="left")
        hi = np.searchsorted(times, at_ns + after_ns, side="right")
        return times[lo:hi], values[lo:hi]

