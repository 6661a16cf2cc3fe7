"""Every validation rule against the local FFmpeg (through PyAV), each hitting its error message."""

import logging

import pytest

from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.encoding.hardware import _trial_open
from lerec.encoding.validation import resolve_encoder_config
from lerec.errors import EncoderConfigError

VGA = {"width": 640, "height": 480}


def error_of(make) -> str:
    with pytest.raises(EncoderConfigError) as error:
        make()
    return str(error.value)


def test_codec_must_be_in_the_local_ffmpeg():
    message = error_of(lambda: RGBEncoderConfig(vcodec="h265"))
    assert "vcodec='h265': no video encoder 'h265' in the local FFmpeg" in message
    assert "hevc (libx265)" in message and "auto" in message


def test_pix_fmt_must_exist_and_be_accepted_by_the_encoder():
    assert "pix_fmt='yuv42Op': FFmpeg knows no such pixel format" in error_of(lambda: RGBEncoderConfig(pix_fmt="yuv42Op"))
    message = error_of(lambda: RGBEncoderConfig(pix_fmt="rgb24"))
    assert "pix_fmt='rgb24' is not accepted by libsvtav1; allowed: yuv420p, yuv420p10le" in message


def test_pix_fmt_needs_as_many_components_as_the_stream_has_channels():
    config = RGBEncoderConfig(vcodec="h264", pix_fmt="gray")
    message = error_of(lambda: resolve_encoder_config(config, channels=3, **VGA))
    assert "pix_fmt='gray' carries 1 component(s) but the stream has 3 channel(s)" in message
    assert resolve_encoder_config(DepthEncoderConfig(), channels=1, **VGA).pix_fmt == "gray12le"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"crf": 30.5}, "crf=30.5: not an integer; libsvtav1's option 'crf' takes an integer from 0 to 63"),
        ({"crf": 70}, "crf=70: out of range; libsvtav1's option 'crf' takes an integer from 0 to 63"),
        ({"preset": "fast"}, "preset='fast': not a number; libsvtav1's option 'preset' takes an integer from -2 to 13"),
        ({"preset": 14}, "preset=14: out of range; libsvtav1's option 'preset' takes an integer from -2 to 13"),
        ({"extra_options": {"qmax": True}}, "extra_options['qmax']=True: a bool, not a number"),
        ({"extra_options": {"qmax": "lots"}}, "extra_options['qmax']='lots': not a number"),
        ({"vcodec": "h264", "extra_options": {"weightb": "maybe"}}, "extra_options['weightb']='maybe': not a bool"),
        ({"vcodec": "h264", "extra_options": {"flags": "+cgop+lopp"}}, "unknown flag 'lopp'; did you mean loop?"),
        # The range and constants of nvenc's preset differ between the FFmpeg builds of av 15 to 19.
        ({"vcodec": "h264_nvenc", "preset": "p9"}, "preset='p9': neither a number nor a named constant; h264_nvenc's "
         "option 'preset' takes an integer from 0 to "),
        ({"vcodec": "h264_nvenc", "crf": 60}, "crf=60 (FFmpeg option qp=60): out of range; h264_nvenc's option 'qp' "
         "takes an integer from -1 to 51"),
    ],
)
def test_option_values_are_checked_against_published_type_range_and_constants(fields, message):
    assert message in error_of(lambda: RGBEncoderConfig(**fields))


def test_named_constants_and_ffmpeg_number_syntax_are_accepted():
    assert RGBEncoderConfig(vcodec="h264_nvenc", preset="p4").preset == "p4"  # LeRobot rejects this one
    config = RGBEncoderConfig(
        vcodec="h264", crf=23.5, extra_options={"threads": "auto", "b": "2M", "flags": "+cgop", "weightb": "false"}
    )
    assert config.ffmpeg_options()["b"] == "2M"


def test_unknown_option_is_an_error_with_the_closest_names():
    message = error_of(lambda: RGBEncoderConfig(vcodec="h264", extra_options={"crff": 20}))
    assert "extra_options['crff']=20: unknown option 'crff' for libx264" in message
    assert message.endswith("did you mean crf?")


def test_command_line_spellings_are_explained():
    message = error_of(lambda: RGBEncoderConfig(vcodec="h264", extra_options={"q:v": 20}))
    assert "unknown option 'q:v'" in message and "stream specifiers are ffmpeg command-line syntax" in message
    message = error_of(lambda: RGBEncoderConfig(vcodec="h264", extra_options={"b:v": "1M"}))
    assert "use 'b'" in message


def test_decoding_and_audio_options_are_rejected():
    assert "'lowres' is a decoding option; libx264 would ignore it" in error_of(
        lambda: RGBEncoderConfig(vcodec="h264", extra_options={"lowres": 1})
    )
    assert "'ab' is not a video option" in error_of(lambda: RGBEncoderConfig(vcodec="h264", extra_options={"ab": 1}))


def test_extra_options_never_override_a_field():
    message = error_of(lambda: RGBEncoderConfig(extra_options={"crf": 20}))
    assert "extra_options['crf']=20: lerec sets FFmpeg option 'crf' from the crf field (crf=30); set crf instead" in message
    message = error_of(lambda: RGBEncoderConfig(extra_options={"svtav1-params": "tune=0"}))
    assert "from the fast_decode field (svtav1-params=fast-decode=0)" in message


def test_codec_without_a_mapped_option_asks_for_none():
    assert "crf=30: ffv1 has no option 'crf'; set crf=None" in error_of(lambda: RGBEncoderConfig(vcodec="ffv1"))
    message = error_of(lambda: DepthEncoderConfig(vcodec="ffv1", crf=None))
    assert "extra_options['x265-params']='lossless=1': ffv1 has no option 'x265-params', it belongs to libx265" in message
    assert DepthEncoderConfig(vcodec="ffv1", pix_fmt="gray16le", crf=None, extra_options={}).encoder == "ffv1"


def test_encoder_threads_must_be_a_positive_int():
    message = error_of(lambda: resolve_encoder_config(RGBEncoderConfig(vcodec="h264"), channels=3, encoder_threads=0, **VGA))
    assert "encoder_threads=0: expected a positive int" in message


def test_a_hardware_encoder_that_cannot_open_here_fails_at_config_time_saying_why():
    config = RGBEncoderConfig(vcodec="h264_nvenc", preset="p4")
    try:
        resolve_encoder_config(config, channels=3, **VGA)
    except EncoderConfigError as error:
        message = str(error)
    else:
        pytest.skip("this machine has a working NVENC")
    assert "vcodec='h264_nvenc': the hardware encoder h264_nvenc is in the local FFmpeg but failed to open" in message
    assert "640x480 yuv420p frame" in message and "libcuda" in message


def test_a_software_encoder_rejecting_a_string_option_fails_at_config_time():
    config = RGBEncoderConfig(vcodec="h264", preset="superfast2")
    message = error_of(lambda: resolve_encoder_config(config, channels=3, **VGA))
    assert "the encoder libx264 is in the local FFmpeg but failed to open" in message and "superfast2" in message


def test_trial_open_happens_once_per_process_per_setting():
    config = RGBEncoderConfig(vcodec="h264", crf=21)
    resolve_encoder_config(config, channels=3, width=320, height=240)
    misses = _trial_open.cache_info().misses
    resolve_encoder_config(config, channels=3, width=320, height=240)
    assert _trial_open.cache_info().misses == misses


def test_auto_picks_a_working_encoder_and_says_what_it_skipped(caplog):
    caplog.set_level(logging.INFO, logger="lerec.encoding.validation")
    resolved = resolve_encoder_config(RGBEncoderConfig(vcodec="auto"), channels=3, **VGA)
    assert resolved.vcodec != "auto"
    (record,) = [r for r in caplog.records if "vcodec=auto" in r.getMessage()]
    if resolved.vcodec == "libsvtav1":
        assert "no hardware encoder works here, picked libsvtav1" in record.getMessage()
        assert "h264_nvenc (" in record.getMessage()
        assert resolved.ffmpeg_options()["preset"] == "12"


def test_auto_for_depth_falls_back_to_the_depth_default(caplog):
    caplog.set_level(logging.INFO, logger="lerec.encoding.validation")
    resolved = resolve_encoder_config(DepthEncoderConfig(vcodec="auto"), channels=1, **VGA)
    assert resolved.vcodec == "hevc"
    assert "h264_nvenc (does not take pix_fmt gray12le)" in caplog.text


def test_fields_the_codec_does_not_use_are_errors_not_silently_dropped():
    message = error_of(lambda: RGBEncoderConfig(vcodec="h264_nvenc", fast_decode=1))
    assert "fast_decode=1: h264_nvenc has no fast-decode mapping (libsvtav1, h264 and hevc do); set fast_decode=0" in message
    message = error_of(lambda: RGBEncoderConfig(vcodec="ffv1", crf=None, preset="fast"))
    assert "preset='fast': ffv1 has no option 'preset'" in message
