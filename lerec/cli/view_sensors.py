"""The sensor streams of an episode in rerun, on the same ``time`` timeline as the frames: a numeric stream's
channels as scalars at their capture times, audio as its envelope (the largest magnitude per :data:`ENVELOPE_S`),
which shows where the sound is without sending every sample."""

from __future__ import annotations

import numpy as np

from lerec.dataset.reading.reader import DatasetReader

ENVELOPE_S = 0.01


def envelope(times_ns: np.ndarray, values: np.ndarray, rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """The largest magnitude of each window of ``ENVELOPE_S`` (at least one sample), at the window's first time."""
    step = max(1, int(rate_hz * ENVELOPE_S))
    n = len(times_ns) - len(times_ns) % step
    if n == 0:
        return times_ns, np.abs(values.astype(np.float32))
    peaks = np.abs(values[:n].astype(np.float32)).reshape(-1, step, values.shape[1]).max(axis=1)
    return times_ns[:n:step], peaks


def log_sensor_streams(rr, reader: DatasetReader, e: int) -> None:
    """Log every sensor stream of episode ``e`` (rerun >= 0.23's column API; older ones skip them)."""
    if not hasattr(rr, "Scalars") or not hasattr(rr, "TimeColumn"):
        return
    for key, decl in reader.sensor_streams.items():
        times, values = reader.stream(e, key)
        if decl.audio:
            times, values = envelope(times, values, decl.rate_hz)
        if len(times):
            rr.send_columns(key, indexes=[rr.TimeColumn("time", duration=times / 1e9)],
                            columns=rr.Scalars.columns(scalars=np.asarray(values, dtype=np.float64)))
