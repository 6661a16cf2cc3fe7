"""Depth quantization: codes, units, no-data pixels and parameter errors."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from lerec.cameras.synthetic import synthetic_depth
from lerec.encoding.config import DepthEncoderConfig
from lerec.encoding.depth import MAX_CODE, dequantize_depth, quantization_step, quantize_depth
from lerec.errors import EncoderConfigError

LOG = DepthEncoderConfig()
LINEAR = DepthEncoderConfig(use_log=False, depth_min=0.1, depth_max=4.0)


def lerobot_formula_codes(metres: np.ndarray, cfg: DepthEncoderConfig) -> np.ndarray:
    """The spec's formula, written out independently of lerec's tables."""
    if cfg.use_log:
        lo, hi = math.log(cfg.depth_min + cfg.shift), math.log(cfg.depth_max + cfg.shift)
        q = MAX_CODE * (np.log(metres + cfg.shift) - lo) / (hi - lo)
    else:
        q = MAX_CODE * (metres - cfg.depth_min) / (cfg.depth_max - cfg.depth_min)
    return np.clip(np.rint(q), 0, MAX_CODE).astype(np.int64)


def lerobot_formula_metres(codes: np.ndarray, cfg: DepthEncoderConfig) -> np.ndarray:
    if cfg.use_log:
        lo, hi = math.log(cfg.depth_min + cfg.shift), math.log(cfg.depth_max + cfg.shift)
        d = np.exp(codes * (hi - lo) / MAX_CODE + lo) - cfg.shift
    else:
        d = cfg.depth_min + codes * (cfg.depth_max - cfg.depth_min) / MAX_CODE
    return np.clip(d, cfg.depth_min, cfg.depth_max)


@pytest.mark.parametrize("cfg", [LOG, LINEAR], ids=["log", "linear"])
def test_codes_follow_the_spec_formula_and_reserve_zero_for_no_data(cfg):
    mm = np.arange(0, 12001, dtype=np.uint16)
    codes = quantize_depth(mm, cfg)
    assert codes.dtype == np.uint16
    assert codes[0] == 0
    assert codes[1:].min() >= 1 and codes.max() <= MAX_CODE
    expected = np.maximum(lerobot_formula_codes(mm[1:] / 1000.0, cfg), 1)
    np.testing.assert_array_equal(codes[1:], expected)
    # float metres (computed in float32) give the same codes, but for rare rounding ties
    from_metres = quantize_depth(mm.astype(np.float64) / 1000.0, cfg).astype(np.int64)
    assert np.abs(from_metres - codes).max() <= 1 and (from_metres != codes).mean() < 0.01


@pytest.mark.parametrize("cfg", [LOG, LINEAR], ids=["log", "linear"])
def test_codes_round_trip_exactly_through_depth(cfg):
    codes = np.arange(1, MAX_CODE + 1, dtype=np.uint16)
    metres = dequantize_depth(codes, cfg, unit="m")
    np.testing.assert_array_equal(quantize_depth(metres.astype(np.float64), cfg), codes)
    np.testing.assert_allclose(metres, lerobot_formula_metres(codes, cfg), rtol=1e-6)


@pytest.mark.parametrize("cfg", [LOG, LINEAR], ids=["log", "linear"])
@pytest.mark.parametrize("unit", ["mm", "m"])
def test_depth_reads_back_within_one_step_and_no_data_as_zero(cfg, unit):
    depth = synthetic_depth(3, 64, 48, unit)
    codes = quantize_depth(depth, cfg)
    back = dequantize_depth(codes, cfg, unit=unit)
    assert back.dtype == (np.uint16 if unit == "mm" else np.float32)
    metres_in = depth / 1000.0 if unit == "mm" else depth.astype(np.float64)
    metres_out = back / 1000.0 if unit == "mm" else back.astype(np.float64)
    hole = depth == 0
    assert hole.any() and (back[hole] == 0).all() and (codes[hole] == 0).all()
    inside = ~hole & (metres_in >= cfg.depth_min) & (metres_in <= cfg.depth_max)
    step = quantization_step(metres_in[inside], cfg)
    rounding = 0.0005 if unit == "mm" else 1e-6
    assert (np.abs(metres_out[inside] - metres_in[inside]) <= step + rounding).all()


def test_layouts_and_batches_keep_their_shape():
    frames = np.stack([synthetic_depth(n, 32, 24) for n in range(4)])
    batched = quantize_depth(frames, LOG)
    assert batched.shape == (4, 24, 32)
    np.testing.assert_array_equal(batched[2], quantize_depth(frames[2], LOG))
    np.testing.assert_array_equal(quantize_depth(frames[2][..., None], LOG)[..., 0], batched[2])
    assert dequantize_depth(batched[..., None], LOG).shape == (4, 24, 32, 1)


def test_out_of_range_and_invalid_float_depths():
    metres = np.array([0.0, -1.0, np.nan, np.inf, 0.001, 50.0], dtype=np.float32)
    codes = quantize_depth(metres, LOG)
    np.testing.assert_array_equal(codes, [0, 0, 0, 0, 1, MAX_CODE])
    mm = np.array([-5, 0, 200_000], dtype=np.int32)
    np.testing.assert_array_equal(quantize_depth(mm, LOG), [0, 0, MAX_CODE])


def test_code_zero_is_read_back_as_zero_and_codes_above_12_bits_are_refused():
    assert dequantize_depth(np.array([0, 1], dtype=np.uint16), LOG).tolist() == [0, 11]
    with pytest.raises(ValueError, match="4095"):
        dequantize_depth(np.array([4096], dtype=np.uint16), LOG)
    with pytest.raises(ValueError, match="unit='cm'"):
        dequantize_depth(np.array([1], dtype=np.uint16), LOG, unit="cm")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"depth_max": 0.005}, "depth_max=0.005"),
        ({"depth_min": -0.5}, "depth_min=-0.5"),
        ({"shift": -1.0}, "shift=-1.0"),
        ({"depth_max": float("nan")}, "depth_max=nan"),
    ],
)
def test_bad_parameters_name_the_field(changes, field):
    # Any object with the four fields works (e.g. settings read from info.json); DepthEncoderConfig refuses these
    # already on construction.
    cfg = SimpleNamespace(**{"depth_min": 0.01, "depth_max": 10.0, "shift": 3.5, "use_log": True, **changes})
    with pytest.raises(EncoderConfigError, match=field):
        quantize_depth(np.zeros((2, 2), dtype=np.uint16), cfg)
    with pytest.raises(EncoderConfigError, match=field):
        dequantize_depth(np.zeros((2, 2), dtype=np.uint16), cfg)


def test_step_size_matches_the_spec_figures():
    steps_mm = quantization_step(np.array([0.5, 1.0, 10.0]), LOG) * 1000
    np.testing.assert_allclose(steps_mm, [1.3, 1.5, 4.4], atol=0.06)
    assert quantization_step(2.0, LINEAR) == pytest.approx(3.9 / 4095)
