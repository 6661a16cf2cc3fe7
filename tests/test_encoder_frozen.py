"""A validated encoder config cannot change: it hashes, compares by value, and its options are read-only."""

import copy
import pickle

import attrs
import pytest

from lerec.cli.encoder_flags import field_help
from lerec.encoding.config import DepthEncoderConfig, EncoderConfig, RGBEncoderConfig


def test_configs_hash_and_compare_by_value():
    a = RGBEncoderConfig(vcodec="h264", extra_options={"tune": "film", "bf": 0})
    b = RGBEncoderConfig(vcodec="h264", extra_options={"bf": 0, "tune": "film"})
    assert a == b and hash(a) == hash(b)
    assert len({a, b, RGBEncoderConfig(vcodec="h264")}) == 2
    assert hash(DepthEncoderConfig()) == hash(DepthEncoderConfig())


def test_extra_options_cannot_change_after_validation():
    config = RGBEncoderConfig(vcodec="h264", extra_options={"tune": "film"})
    with pytest.raises(TypeError):
        config.extra_options["tune"] = "bogus-value-ffmpeg-would-refuse"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        config.crf = 1  # type: ignore[misc]
    given = {"tune": "film"}
    config = RGBEncoderConfig(vcodec="h264", extra_options=given)
    given["tune"] = "grain"  # the caller's dict is copied, not kept
    assert config.extra_options == {"tune": "film"}


def test_depth_and_rgb_configs_are_siblings():
    depth = DepthEncoderConfig()
    assert isinstance(depth, EncoderConfig) and not isinstance(depth, RGBEncoderConfig)
    assert depth != RGBEncoderConfig(vcodec="hevc", pix_fmt="gray12le", extra_options={"x265-params": "lossless=1"})


def test_configs_survive_pickle_and_copy():
    for config in (RGBEncoderConfig(extra_options={"qmax": 50}), DepthEncoderConfig(depth_max=5.0)):
        for again in (pickle.loads(pickle.dumps(config)), copy.deepcopy(config), attrs.evolve(config)):
            assert again == config and type(again) is type(config)


def test_every_field_has_help_in_its_metadata():
    for cls in (RGBEncoderConfig, DepthEncoderConfig):
        assert all(f.metadata.get("help") for f in attrs.fields(cls))
        assert field_help(cls) == {f.name: f.metadata["help"] for f in attrs.fields(cls)}
    assert "12-bit" in field_help(DepthEncoderConfig)["vcodec"] and "12-bit" not in field_help(RGBEncoderConfig)["vcodec"]
