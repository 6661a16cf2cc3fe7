"""lerec view: an episode saved to a rerun recording (rerun-sdk is an optional extra; skipped without it)."""

import pytest

from lerec.cli import main

from dataset_fixtures import DEPTH, FRONT


def test_view_saves_an_rrd_with_every_stream(recorded, tmp_path):
    pytest.importorskip("rerun")
    out = tmp_path / "episode.rrd"
    assert main(["view", str(recorded), "--episode", "1", "--save", str(out)]) == 0
    data = out.read_bytes()
    assert data[:4] == b"RRF2" and len(data) > 20_000
    for entity in (FRONT, DEPTH, "observation.state"):
        assert entity.encode() in data


def test_view_of_a_missing_episode_fails(recorded, tmp_path):
    pytest.importorskip("rerun")
    assert main(["view", str(recorded), "--episode", "7", "--save", str(tmp_path / "x.rrd")]) == 1
