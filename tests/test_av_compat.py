"""The PyAV seam reads the same facts from every supported av (CI runs this at av 15 and the newest)."""

import tomllib
from pathlib import Path

import av
from packaging.requirements import Requirement

from lerec.encoding.av_compat import SUPPORTED_AV, encoder_options, mp4_takes
from lerec.encoding.config import DepthEncoderConfig
from lerec.encoding.depth_transcode import realtime_depth_config

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_pyproject_states_the_range_and_the_installed_av_is_in_it():
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    assert SUPPORTED_AV in dependencies
    assert Requirement(SUPPORTED_AV).specifier.contains(av.__version__)


def test_encoder_options_are_read_alike_from_every_av():
    options = {option.name: option for option in encoder_options("libx264")}
    crf, preset, flags, threads = options["crf"], options["preset"], options["flags"], options["threads"]
    assert (crf.kind, crf.min, crf.is_encoding, crf.is_video) == ("float", -1.0, True, True)
    assert (preset.kind, preset.choices) == ("string", ())
    assert flags.kind == "flags" and {"loop", "cgop", "qscale"} <= set(flags.choices)
    assert threads.kind == "int" and "auto" in threads.choices
    svt = {option.name: option for option in encoder_options("libsvtav1")}
    assert (svt["crf"].kind, svt["crf"].min, svt["crf"].max) == ("int", 0.0, 63.0)
    # FFmpeg's generic options come first, the encoder's private ones after them.
    names = [option.name for option in encoder_options("libx264")]
    assert names.index("g") < names.index("crf")


def test_ffv1_goes_in_mp4_from_ffmpeg_8_and_depth_is_captured_with_it_only_there():
    ffmpeg_8 = av.library_versions["libavformat"][0] >= 62
    assert mp4_takes("ffv1") == ffmpeg_8 and mp4_takes("libx265")
    target = DepthEncoderConfig()
    assert realtime_depth_config(target).vcodec == ("ffv1" if ffmpeg_8 else target.vcodec)
