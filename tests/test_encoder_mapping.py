"""Every row of the spec's mapping table (spec/encoding.md, "Mapping to FFmpeg options") as a test.

Software rows are also opened for real; hardware rows are checked as data, since no GPU is here.
"""

import pytest

from lerec.encoding.codec_options import video_encoder
from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.encoding.ffmpeg_mapping import FF_QP2LAMBDA, encoder_name, mapping_row
from lerec.encoding.validation import open_failure


def mapped(codec: str, crf: float, preset=None, fast_decode=0, g=2, encoder_threads=None) -> dict[str, str]:
    """The mapping row for ``codec`` as plain data (for encoders this machine lacks: videotoolbox, vaapi)."""
    rows = mapping_row(codec, g=g, crf=crf, preset=preset, fast_decode=fast_decode, encoder_threads=encoder_threads)
    return {name: value for name, (value, _field) in rows.items()}


def test_libsvtav1_row_with_lerobot_defaults():
    assert RGBEncoderConfig().ffmpeg_options() == {
        "g": "2", "crf": "30", "preset": "12", "svtav1-params": "fast-decode=0",
    }


def test_libsvtav1_row_with_fast_decode_and_threads():
    options = RGBEncoderConfig(fast_decode=2, preset=8).ffmpeg_options(encoder_threads=3)
    assert options == {"g": "2", "crf": "30", "preset": "8", "svtav1-params": "fast-decode=2:lp=3"}
    assert open_failure(RGBEncoderConfig(fast_decode=2, preset=8), width=64, height=48, encoder_threads=3) is None


@pytest.mark.parametrize("vcodec, encoder", [("h264", "libx264"), ("hevc", "libx265")])
def test_h264_hevc_rows_are_libx264_libx265(vcodec, encoder):
    config = RGBEncoderConfig(vcodec=vcodec, crf=23.5, preset="veryfast", fast_decode=1)
    assert encoder_name(vcodec) == encoder
    assert config.ffmpeg_options(encoder_threads=2) == {
        "g": "2", "crf": "23.5", "preset": "veryfast", "tune": "fastdecode", "threads": "2",
    }
    assert open_failure(config, width=64, height=48, encoder_threads=2) is None


def test_h264_without_fast_decode_has_no_tune_and_no_preset():
    assert RGBEncoderConfig(vcodec="h264").ffmpeg_options() == {"g": "2", "crf": "30"}


@pytest.mark.parametrize("vcodec", ["h264_nvenc", "hevc_nvenc"])
def test_nvenc_rows(vcodec):
    config = RGBEncoderConfig(vcodec=vcodec, crf=28, preset="p4")  # validated against PyAV's FFmpeg
    assert config.ffmpeg_options(encoder_threads=4) == {"g": "2", "rc": "constqp", "qp": "28", "preset": "p4"}


@pytest.mark.parametrize("vcodec", ["h264_videotoolbox", "hevc_videotoolbox"])
@pytest.mark.parametrize("crf, quality", [(30, 40), (0, 100), (60, 1), (10.25, 79.5)])
def test_videotoolbox_rows_quality_is_clamped_100_minus_2crf(vcodec, crf, quality):
    # The spec writes `q:v`; through PyAV that is global_quality = q * FF_QP2LAMBDA with the qscale flag.
    options = mapped(vcodec, crf=crf, preset="slow", fast_decode=1, encoder_threads=2)
    assert options == {"g": "2", "flags": "+qscale", "global_quality": str(round(quality * FF_QP2LAMBDA))}


def test_vaapi_row():
    assert mapped("h264_vaapi", crf=25, preset="x", fast_decode=1, encoder_threads=2) == {"g": "2", "qp": "25"}


def test_qsv_row():
    want = {"g": "2", "global_quality": "25", "preset": "medium"}
    assert mapped("h264_qsv", crf=25, preset="medium", encoder_threads=2) == want
    if video_encoder("h264_qsv") is not None:  # av 18+'s wheels carry QSV, av 15-16's do not
        config = RGBEncoderConfig(vcodec="h264_qsv", pix_fmt="nv12", crf=25, preset="medium")
        assert config.ffmpeg_options(encoder_threads=2) == want


def test_extra_options_are_merged_last_as_text():
    config = RGBEncoderConfig(vcodec="h264", extra_options={"tune": "film", "bf": 0, "weightb": True})
    assert config.ffmpeg_options() == {"g": "2", "crf": "30", "tune": "film", "bf": "0", "weightb": "1"}


def test_depth_defaults_map_to_lossless_x265_gray12():
    config = DepthEncoderConfig()
    assert config.encoder == "libx265" and config.pix_fmt == "gray12le"
    assert config.ffmpeg_options() == {"g": "2", "crf": "30", "x265-params": "lossless=1"}
