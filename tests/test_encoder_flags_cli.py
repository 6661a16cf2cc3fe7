"""`--dataset.rgb_encoder.<field>` flags, and the `lerec encoders` command."""

import argparse

import pytest

from lerec.cli import main
from lerec.cli.encoder_flags import add_encoder_arguments, encoder_config_from_args, field_help
from lerec.cli.encoders import BENCH_HEIGHT, BENCH_WIDTH, bench_encoder, synthetic_frames, unusable_reason
from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.errors import EncoderConfigError

RGB, DEPTH = "dataset.rgb_encoder", "dataset.depth_encoder"


def record_like_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lerec record")
    add_encoder_arguments(parser, RGB, RGBEncoderConfig)
    add_encoder_arguments(parser, DEPTH, DepthEncoderConfig)
    return parser


def configs(*argv):
    args = record_like_parser().parse_args(list(argv))
    return encoder_config_from_args(args, RGB, RGBEncoderConfig), encoder_config_from_args(args, DEPTH, DepthEncoderConfig), args


def test_no_flags_give_the_defaults():
    rgb, depth, _ = configs()
    assert (rgb, depth) == (RGBEncoderConfig(), DepthEncoderConfig())


def test_flags_are_parsed_into_typed_fields():
    rgb, depth, _ = configs(
        f"--{RGB}.vcodec=h264", f"--{RGB}.crf=23.5", f"--{RGB}.preset=veryfast", f"--{RGB}.g=10",
        f"--{RGB}.fast_decode=0", f"--{RGB}.extra_options=" + '{"tune": "film"}',
        f"--{DEPTH}.use_log=false", f"--{DEPTH}.depth_max=4", f"--{DEPTH}.shift=-1",
    )
    assert rgb == RGBEncoderConfig(vcodec="h264", crf=23.5, preset="veryfast", g=10, fast_decode=0, extra_options={"tune": "film"})
    assert (depth.use_log, depth.depth_max, depth.shift) == (False, 4, -1)


def test_extra_options_take_yaml_and_none_resets_a_field():
    rgb, _, _ = configs(f"--{RGB}.vcodec=h264", f"--{RGB}.extra_options={{tune: film, bf: 0}}", f"--{RGB}.g=none")
    assert rgb.extra_options == {"tune": "film", "bf": 0} and rgb.g is None


@pytest.mark.parametrize(
    "argv, message",
    [
        ([f"--{RGB}.extra_options=" + '{"crff": 20}'], "--dataset.rgb_encoder.extra_options['crff']=20: unknown option 'crff'"),
        ([f"--{RGB}.extra_options=tune=film"], "--dataset.rgb_encoder.extra_options='tune=film': expected a mapping"),
        ([f"--{RGB}.extra_options={{tune"], "--dataset.rgb_encoder.extra_options='{tune': not JSON or YAML"),
        ([f"--{RGB}.g=two"], "--dataset.rgb_encoder.g='two': expected a positive int"),
        ([f"--{DEPTH}.depth_min=12"], "--dataset.depth_encoder.depth_min=12, depth_max=10.0: expected 0 <= depth_min < depth_max"),
        (
            [f"--{RGB}.vcodec=h264", f"--{RGB}.fast_decode=1", f"--{RGB}.extra_options=" + '{"tune": "film"}'],
            "--dataset.rgb_encoder.extra_options['tune']='film': lerec sets FFmpeg option 'tune' from the fast_decode field",
        ),
    ],
)
def test_bad_flags_name_the_flag_value_and_what_is_allowed(argv, message):
    with pytest.raises(EncoderConfigError) as error:
        configs(*argv)
    assert message in str(error.value)


def test_help_documents_every_field_from_the_docstrings():
    text = " ".join(record_like_parser().format_help().split())  # argparse wraps lines
    for name in ("vcodec", "pix_fmt", "g", "crf", "preset", "fast_decode", "video_backend", "extra_options"):
        assert f"--{RGB}.{name}" in text and f"--{DEPTH}.{name}" in text
    for name in ("depth_min", "depth_max", "shift", "use_log"):
        assert f"--{DEPTH}.{name}" in text and f"--{RGB}.{name}" not in text
    assert set(field_help(DepthEncoderConfig)) >= {"vcodec", "g", "crf", "depth_min", "depth_max", "use_log"}
    assert "GOP size" in text and "(default: libsvtav1)" in text and '(default: {"x265-params": "lossless=1"})' in text


def test_lerec_encoders_lists_encoders_with_kind_and_why(capsys):
    assert main(["encoders"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line for line in lines[2:]}
    assert lines[0].split()[:5] == ["encoder", "codec", "kind", "usable", "pixel"]
    assert rows["libx264"].split()[1:4] == ["h264", "software", "yes"]
    assert rows["libsvtav1"].split()[1:4] == ["av1", "software", "yes"]
    nvenc = rows["h264_nvenc"].split()
    assert nvenc[2] == "hardware"
    if nvenc[3] == "no":
        assert "needs an NVIDIA GPU and its driver (libcuda)" in rows["h264_nvenc"]


def test_lerec_encoders_says_in_words_why_an_encoder_is_unusable(capsys):
    """One line per unusable encoder, what it needs rather than the driver's raw error (logged with -v)."""
    assert main(["encoders", "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    unusable = [line for line in lines[2:] if line.split()[3] == "no"]
    for line in unusable:
        assert "Error:" not in line and "DLL" not in line and ".so" not in line, line
    assert unusable_reason("av1_amf", "UnknownError: DLL libamfrt64.so.1 failed to open; Failed to create  "
                           "hardware device context (AMF) : Unknown error occurred") == \
        "needs an AMD GPU and the AMF runtime: not usable here"
    assert unusable_reason("libfoo", "ValueError: width must be even; more") == "width must be even"


def test_bench_measures_frames_per_second(capsys):
    assert main(["encoders", "--bench", "--seconds", "0.05"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "VGA fps" in lines[0]
    x264 = next(line for line in lines if line.startswith("libx264 "))
    assert float(x264.split()[4]) > 0 and "g=2 crf=30" in x264


def test_bench_encoder_reports_fps_and_size():
    fps, kib = bench_encoder(RGBEncoderConfig(vcodec="h264", preset="ultrafast"), 0.2, synthetic_frames(4))
    assert fps > 5 and 0 < kib < BENCH_WIDTH * BENCH_HEIGHT * 3 / 1024
