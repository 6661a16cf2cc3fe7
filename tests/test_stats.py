"""Dataset statistics folded in one episode at a time equal the pooled statistics of every frame."""

import numpy as np
import pytest

from lerec.dataset.spec.stats import StatsTotal, aggregate_stats, numeric_stats


def test_running_total_matches_the_statistics_of_all_frames_pooled():
    rng = np.random.default_rng(7)
    episodes = [rng.normal(loc=i, scale=1 + i, size=(40 + 10 * i, 3)) for i in range(5)]
    total = StatsTotal()
    for values in episodes:
        total.add({"observation.state": numeric_stats(values)})
    result = total.result()["observation.state"]
    pooled = np.concatenate(episodes)
    assert result["count"].tolist() == [len(pooled)]
    np.testing.assert_allclose(result["mean"], pooled.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(result["std"], pooled.std(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(result["min"], pooled.min(axis=0))
    np.testing.assert_array_equal(result["max"], pooled.max(axis=0))
    once = aggregate_stats({"observation.state": numeric_stats(v)} for v in episodes)["observation.state"]
    for name in result:
        np.testing.assert_allclose(result[name], once[name], rtol=1e-12)


def test_episodes_without_counts_weigh_alike_and_partial_quantiles_are_dropped():
    a = {"x": {"min": [0.0], "max": [1.0], "mean": [0.2], "std": [0.0], "count": [0], "q50": [0.1]}}
    b = {"x": {"min": [0.5], "max": [2.0], "mean": [0.6], "std": [0.0], "count": [0]}}
    result = aggregate_stats([a, b])["x"]
    assert result["mean"].tolist() == pytest.approx([0.4])
    assert "q50" not in result and result["count"].tolist() == [0]
