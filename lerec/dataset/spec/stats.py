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
    for name, values in zip(QUANTILES, np.quantile(data, list(QUANTILES.values()), axis=0)):
        out[name] = values
    return out


def aggregate_stats(episodes: Iterable[Mapping[str, Stats]]) -> dict[str, Stats]:
    """Dataset statistics from per-episode ones: count-weighted mean and variance, min of mins, max of maxes,
    count-weighted quantiles."""
    total = StatsTotal()
    for episode in episodes:
        total.add(episode)
    return total.result()


class StatsTotal:
    """:func:`aggregate_stats` one episode at a time: running count-weighted sums, so adding an episode costs the
    same whether the dataset has one episode or a thousand."""

    def __init__(self):
        self._features: dict[str, dict] = {}

    def add(self, episode: Mapping[str, Stats]) -> None:
        for key, stats in episode.items():
            count = float(np.asarray(stats["count"]).ravel()[0])
            mean = np.asarray(stats["mean"], dtype=np.float64)
            moments = {"mean": mean, "second": np.asarray(stats["std"], dtype=np.float64) ** 2 + mean**2}
            moments.update({name: np.asarray(stats[name], dtype=np.float64) for name in QUANTILES if name in stats})
            acc = self._features.get(key)
            if acc is None:
                self._features[key] = {
                    "count": count, "parts": 1, "min": np.asarray(stats["min"]), "max": np.asarray(stats["max"]),
                    "weighted": {name: count * v for name, v in moments.items()}, "plain": dict(moments),
                }
                continue
            acc["count"] += count
            acc["parts"] += 1
            acc["min"] = np.minimum(acc["min"], np.asarray(stats["min"]))
            acc["max"] = np.maximum(acc["max"], np.asarray(stats["max"]))
            for table, factor in ((acc["weighted"], count), (acc["plain"], 1.0)):
                for name in list(table):
                    if name in moments:
                        table[name] = table[name] + factor * moments[name]
                    else:
                        del table[name]  # a quantile not every episode has

    def result(self) -> dict[str, Stats]:
        result: dict[str, Stats] = {}
        for key, acc in self._features.items():
            total = acc["count"]
            # Episodes that counted nothing weigh alike.
            sums, divisor = (acc["weighted"], total) if total else (acc["plain"], acc["parts"])
            mean = sums["mean"] / divisor
            out = {
                "min": acc["min"],
                "max": acc["max"],
                "mean": mean,
                "std": np.sqrt(np.maximum(sums["second"] / divisor - mean**2, 0.0)),
                "count": np.array([int(total)], dtype=np.int64),
            }
            out.update({name: sums[name] / divisor for name in QUANTILES if name in sums})
            result[key] = out
        return result


def stats_to_json(stats: Mapping[str, Stats]) -> dict:
    return {key: {name: np.asarray(v).tolist() for name, v in s.items()} for key, s in stats.items()}


def stats_from_json(data: Mapping) -> dict[str, Stats]:
    return {key: {name: np.asarray(v) for name, v in s.items()} for key, s in data.items()}
