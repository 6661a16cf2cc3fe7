"""Per-episode statistics of every feature, and their aggregation over a dataset.

Image statistics are per channel, shaped (C, 1, 1); RGB is scaled to [0, 1] and depth stays in its recorded
unit. They come from per-channel histograms of every frame (subsampled in space), so quantiles are exact over the
pixels looked at and the work per frame is a few bincounts, done on the encoder's worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

QUANTILES = {"q01": 0.01, "q10": 0.10, "q50": 0.50, "q90": 0.90, "q99": 0.99}
STAT_NAMES = ("min", "max", "mean", "std", "count", *QUANTILES)
Stats = dict[str, np.ndarray]


class ImageStats:
    """Accumulates histograms of a stream's frames. ``add`` takes uint8 (H, W, C) RGB, uint16 (H, W) depth in
    mm, or float (H, W) depth in m (binned at 1 mm)."""

    def __init__(self, channels: int, kind: str, stride: int = 4):
        self.kind = kind
        self.stride = stride
        self.frames = 0
        self.bins = 256 if kind == "rgb" else 65536
        self.hist = np.zeros((channels, self.bins), dtype=np.int64)

    def add(self, frame: np.ndarray) -> None:
        sample = frame[:: self.stride, :: self.stride]
        if sample.ndim == 2:
            sample = sample[..., None]
        if sample.dtype.kind == "f":
            sample = np.clip(np.rint(sample * 1000.0), 0, self.bins - 1).astype(np.int64)
        for c in range(self.hist.shape[0]):
            self.hist[c] += np.bincount(sample[..., c].ravel(), minlength=self.bins)[: self.bins]
        self.frames += 1

    def result(self, depth_unit: str | None = None) -> Stats:
        if self.kind == "rgb":
            scale = 1 / 255.0
        else:
            scale = 1 / 1000.0 if depth_unit == "m" else 1.0
        values = np.arange(self.bins, dtype=np.float64) * scale
        stats: dict[str, list] = {name: [] for name in STAT_NAMES if name != "count"}
        for hist in self.hist:
            total = hist.sum()
            if total == 0:
                for name in stats:
                    stats[name].append(0.0)
                continue
            nonzero = np.flatnonzero(hist)
            mean = float((hist * values).sum() / total)
            stats["min"].append(values[nonzero[0]])
            stats["max"].append(values[nonzero[-1]])
            stats["mean"].append(mean)
            stats["std"].append(float(np.sqrt(max(0.0, (hist * (values - mean) ** 2).sum() / total))))
            cdf = np.cumsum(hist) / total
            for name, q in QUANTILES.items():
                stats[name].append(values[min(int(np.searchsorted(cdf, q)), self.bins - 1)])
        out = {name: np.asarray(v, dtype=np.float64).reshape(-1, 1, 1) for name, v in stats.items()}
        out["count"] = np.array([self.frames], dtype=np.int64)
        return out


def numeric_stats(values: np.ndarray) -> Stats:
    """Statistics of an (N, D) array over its rows."""
    data = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    out = {
        "min": data.min(axis=0),
        "max": data.max(axis=0),
        "mean": data.mean(axis=0),
        "std": data.std(axis=0),
        "count": np.array([len(data)], dtype=np.int64),
    }
    for name, q in QUANTILES.items():
        out[name] = np.quantile(data, q, axis=0)
    return out


def aggregate_stats(episodes: Iterable[Mapping[str, Stats]]) -> dict[str, Stats]:
    """Dataset statistics from per-episode ones: count-weighted mean and variance, min of mins, max of maxes,
    count-weighted quantiles."""
    by_feature: dict[str, list[Stats]] = {}
    for episode in episodes:
        for key, stats in episode.items():
            by_feature.setdefault(key, []).append(stats)
    result: dict[str, Stats] = {}
    for key, parts in by_feature.items():
        counts = np.array([float(np.asarray(p["count"]).ravel()[0]) for p in parts])
        total = counts.sum()
        weights = counts / total if total else np.full(len(parts), 1 / len(parts))

        def weighted(name: str) -> np.ndarray:
            return sum(w * np.asarray(p[name], dtype=np.float64) for w, p in zip(weights, parts))

        mean = weighted("mean")
        second = sum(
            w * (np.asarray(p["std"], dtype=np.float64) ** 2 + np.asarray(p["mean"], dtype=np.float64) ** 2)
            for w, p in zip(weights, parts)
        )
        agg = {
            "min": np.min([np.asarray(p["min"]) for p in parts], axis=0),
            "max": np.max([np.asarray(p["max"]) for p in parts], axis=0),
            "mean": mean,
            "std": np.sqrt(np.maximum(second - mean**2, 0.0)),
            "count": np.array([int(total)], dtype=np.int64),
        }
        for name in QUANTILES:
            if all(name in p for p in parts):
                agg[name] = weighted(name)
        result[key] = agg
    return result


def stats_to_json(stats: Mapping[str, Stats]) -> dict:
    return {key: {name: np.asarray(v).tolist() for name, v in s.items()} for key, s in stats.items()}


def stats_from_json(data: Mapping) -> dict[str, Stats]:
    return {key: {name: np.asarray(v) for name, v in s.items()} for key, s in data.items()}
