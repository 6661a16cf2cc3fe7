"""Checking a dataset's sensor streams (``lerec validate``): declared, one file set per episode and none beyond,
capture times int64, strictly increasing and inside the episode, one value row per capture time (audio: the
header always; every sample with ``decode``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from lerec.dataset.sensors.sensor_store import StreamDecl, check_files, episode_files, load_declared
from lerec.dataset.spec import format as fmt
from lerec.dataset.store.metadata import DatasetMeta
from lerec.encoding.audio import probe_audio, read_audio
from lerec.errors import DatasetError

Found = tuple[str, int | None, str | None]  # message, episode, stream


def sensor_problems(root: Path, meta: DatasetMeta, decode: bool = False) -> Iterator[Found]:
    """Every problem of the sensor streams of the dataset at ``root``."""
    try:
        streams = load_declared(root)
    except DatasetError as exc:
        yield str(exc), None, None
        return
    chunks = int(meta.info["chunks_size"])
    found = check_files(root, streams, len(meta.episodes), chunks)
    yield from found
    missing = {(e, key) for _, e, key in found if e is not None}
    for row in meta.episodes:
        e = int(row[fmt.EPISODE_INDEX])
        duration_ns = -(-int(row[fmt.LENGTH]) * 1_000_000_000 // meta.fps)
        for decl in streams.values():
            if (e, decl.key) not in missing:
                for message in _episode_problems(root, decl, e, chunks, duration_ns, decode):
                    yield message, e, decl.key


def _episode_problems(root: Path, decl: StreamDecl, e: int, chunks: int, duration_ns: int,
                      decode: bool) -> Iterator[str]:
    files = episode_files(root, decl, e, chunks)
    try:
        table = pq.read_table(files[0])
    except Exception as exc:  # pyarrow raises several kinds for a damaged file
        yield f"{files[0].name}: cannot be read ({exc})"
        return
    if fmt.SENSOR_TIMESTAMP not in table.column_names or str(table.schema.field(fmt.SENSOR_TIMESTAMP).type) != "int64":
        yield f"{files[0].name}: no int64 column {fmt.SENSOR_TIMESTAMP!r}"
        return
    times = table.column(fmt.SENSOR_TIMESTAMP).to_numpy()
    if len(times) > 1 and not (np.diff(times) > 0).all():
        yield f"{files[0].name}: capture times are not strictly increasing"
    if len(times) and (times[0] < 0 or times[-1] >= duration_ns):
        yield f"{files[0].name}: capture times {times[0]}..{times[-1]} ns fall outside the episode (0..{duration_ns})"
    if decl.audio:
        yield from _audio_problems(files[1], decl, len(times), decode)
    elif fmt.SENSOR_VALUES not in table.column_names:
        yield f"{files[0].name}: no column {fmt.SENSOR_VALUES!r}"
    else:
        width = getattr(table.schema.field(fmt.SENSOR_VALUES).type, "list_size", None)
        if width != decl.channels:
            yield f"{files[0].name}: {width} values per sample, declared {decl.channels} channels"


def _audio_problems(path: Path, decl: StreamDecl, samples: int, decode: bool) -> Iterator[str]:
    try:
        probed = probe_audio(path)
        if probed["sample_rate"] != int(decl.rate_hz) or probed["channels"] != decl.channels:
            yield (f"{path.name}: {probed['channels']} channels at {probed['sample_rate']} Hz, declared "
                   f"{decl.channels} at {decl.rate_hz:g}")
        if decode:
            values, _ = read_audio(path)
            if len(values) != samples:
                yield f"{path.name}: {len(values)} samples for {samples} capture times"
    except Exception as exc:  # PyAV raises several kinds for a damaged file
        yield f"{path.name}: cannot be decoded ({exc})"
