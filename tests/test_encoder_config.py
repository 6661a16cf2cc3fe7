"""Encoder configs validate on construction, persist in a feature's info block and read back from it."""

import pytest

from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.encoding.video_encoding import VideoEncoding, encoder_settings_diff
from lerec.errors import EncoderConfigError


def test_defaults_are_lerobots():
    rgb, depth = RGBEncoderConfig(), DepthEncoderConfig()
    assert (rgb.vcodec, rgb.pix_fmt, rgb.g, rgb.crf, rgb.effective_preset, rgb.fast_decode) == ("libsvtav1", "yuv420p", 2, 30, 12, 0)
    assert (depth.vcodec, depth.pix_fmt, depth.extra_options) == ("hevc", "gray12le", {"x265-params": "lossless=1"})
    assert (depth.depth_min, depth.depth_max, depth.shift, depth.use_log) == (0.01, 10.0, 3.5, True)
    assert RGBEncoderConfig(vcodec="h264").effective_preset is None


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"g": 0}, "g=0: expected a positive int"),
        ({"g": 2.5}, "g=2.5: expected a positive int"),
        ({"g": True}, "g=True: expected a positive int"),
        ({"crf": "high"}, "crf='high': expected a number >= 0"),
        ({"crf": -1}, "crf=-1: expected a number >= 0"),
        ({"crf": float("nan")}, "crf=nan: expected a number >= 0"),
        ({"preset": 1.5}, "preset=1.5: expected an int or a string"),
        ({"fast_decode": 3}, "fast_decode=3: expected an int from 0 to 2"),
        ({"fast_decode": True}, "fast_decode=True: expected an int from 0 to 2"),
        ({"video_backend": "torchcodec"}, "video_backend='torchcodec': expected one of: pyav"),
        ({"vcodec": ""}, "vcodec='': expected a non-empty string"),
        ({"pix_fmt": None}, "pix_fmt=None: expected a non-empty string"),
        ({"extra_options": "tune=film"}, "extra_options='tune=film': expected a mapping"),
        ({"extra_options": {"tune": ["film"]}}, "extra_options['tune']=['film']: expected a single value"),
        ({"extra_options": {"": 1}}, "extra_options={'': 1}: expected option names as non-empty strings"),
    ],
)
def test_field_rules_name_field_value_and_what_is_allowed(fields, message):
    with pytest.raises(EncoderConfigError) as error:
        RGBEncoderConfig(**fields)
    assert message in str(error.value)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"depth_min": 2.0, "depth_max": 1.0}, "depth_min=2.0, depth_max=1.0: expected 0 <= depth_min < depth_max"),
        ({"depth_min": -0.5}, "expected 0 <= depth_min < depth_max"),
        ({"depth_max": "far"}, "depth_max='far': expected a finite number of metres"),
        ({"shift": -0.01}, "shift=-0.01: with use_log, depth_min + shift must be > 0"),
        ({"use_log": "yes"}, "use_log='yes': expected true or false"),
    ],
)
def test_depth_rules(fields, message):
    with pytest.raises(EncoderConfigError) as error:
        DepthEncoderConfig(**fields)
    assert message in str(error.value)


def test_linear_depth_allows_any_shift():
    assert DepthEncoderConfig(shift=-5.0, use_log=False).shift == -5.0


def test_configs_are_frozen():
    with pytest.raises(AttributeError):
        RGBEncoderConfig().crf = 10


def settings(config):
    """The encoder-settings keys a stream's info holds for ``config``."""
    return VideoEncoding(config).settings_info()


def recorded_info(config, codec, pix_fmt):
    """A feature info block as the writer stores it: probed stream facts plus the settings."""
    return {"video.codec": codec, "video.pix_fmt": pix_fmt, "video.fps": 30, "has_audio": False, **settings(config)}


def test_rgb_settings_round_trip_through_video_info():
    config = RGBEncoderConfig(crf=35, preset=10, fast_decode=1, extra_options={"qmax": 50})
    info = settings(config)
    assert info == {
        "video.g": 2, "video.crf": 35, "video.preset": 10, "video.fast_decode": 1,
        "video.video_backend": "pyav", "video.extra_options": {"qmax": 50},
    }
    assert VideoEncoding.from_info(recorded_info(config, "av1", "yuv420p"), depth=False).config == config


def test_h264_settings_round_trip_with_canonical_codec_name():
    config = RGBEncoderConfig(vcodec="h264", crf=23, preset="veryfast")
    assert VideoEncoding.from_info(recorded_info(config, "h264", "yuv420p"), depth=False).config == config


def test_depth_settings_round_trip_through_video_info():
    config = DepthEncoderConfig(depth_min=0.1, depth_max=4.0, shift=1.0, use_log=False)
    info = recorded_info(config, "hevc", "gray12le")
    assert info["video.depth_max"] == 4.0 and info["video.use_log"] is False
    assert VideoEncoding.from_info(info, depth=True).config == config


def test_from_info_takes_defaults_for_null_keys_of_a_merged_dataset():
    info = {"video.codec": "av1", "video.pix_fmt": "yuv420p", "video.crf": None, "video.g": None}
    assert VideoEncoding.from_info(info, depth=False).config == RGBEncoderConfig()


def test_settings_diff_names_the_differing_keys():
    old = recorded_info(RGBEncoderConfig(crf=30), "av1", "yuv420p")
    assert encoder_settings_diff(old, settings(RGBEncoderConfig(crf=30))) == []
    assert encoder_settings_diff(old, settings(RGBEncoderConfig(crf=20, g=4))) == ["video.g", "video.crf"]
    assert encoder_settings_diff(old, {**old, "video.codec": "h264"}) == ["video.codec"]


def test_settings_diff_covers_depth_keys_and_extra_options():
    old = settings(DepthEncoderConfig())
    new = settings(DepthEncoderConfig(depth_max=6.0, extra_options={"x265-params": "lossless=1:preset=ultrafast"}))
    assert encoder_settings_diff(old, new) == ["video.extra_options", "video.depth_max"]


def test_settings_diff_ignores_keys_a_merge_set_to_null():
    old = {**settings(RGBEncoderConfig()), "video.crf": None}
    assert encoder_settings_diff(old, settings(RGBEncoderConfig(crf=18))) == []
