"""SVT-AV1 at g=2 is opened with two hierarchical levels and no lookahead: the same packets as the spec's mapping
gives, sooner. Real encoders on real frames, packet by packet."""

import io

import av
import numpy as np
import pytest

from lerec.cameras.synthetic import synthetic_rgb
from lerec.encoding.config import RGBEncoderConfig
from lerec.encoding.ffmpeg_mapping import SVTAV1_PROMPT_PARAMS

WIDTH, HEIGHT = 320, 240


def encode(options: dict[str, str], frames: list[np.ndarray]) -> tuple[list[tuple[int, bool, bytes]], int]:
    """Every packet (pts, keyframe, bytes), and the most frames the encoder held at once before giving one."""
    packets, held = [], 0
    with av.open(io.BytesIO(), "w", format="mp4") as container:
        stream = container.add_stream("libsvtav1", rate=30, options=dict(options))
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for k, image in enumerate(frames):
            frame = av.VideoFrame.from_numpy_buffer(image, format="rgb24")
            frame.pts = k
            out = stream.encode(frame)
            held = max(held, k + 1 - len(packets) - len(out))
            packets += [(int(p.pts), bool(p.is_keyframe), bytes(p)) for p in out]
        packets += [(int(p.pts), bool(p.is_keyframe), bytes(p)) for p in stream.encode(None)]
    return packets, held


def decoded(packets: list[tuple[int, bool, bytes]]) -> list[np.ndarray]:
    codec = av.CodecContext.create("libdav1d", "r")
    frames = []
    for _pts, _key, data in packets:
        frames += [f.to_ndarray(format="rgb24") for f in codec.decode(av.Packet(data))]
    return frames + [f.to_ndarray(format="rgb24") for f in codec.decode(None)]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((a.astype(np.float64) - b) ** 2)))


def test_the_recorder_opens_svtav1_at_g2_with_the_prompt_params():
    config = RGBEncoderConfig()
    assert config.encoder_options(encoder_threads=1) == {
        **config.ffmpeg_options(encoder_threads=1), "svtav1-params": f"fast-decode=0:lp=1:{SVTAV1_PROMPT_PARAMS}"}


@pytest.mark.parametrize("config", [RGBEncoderConfig(g=4), RGBEncoderConfig(vcodec="h264"),
                                    RGBEncoderConfig(extra_options={"qmax": 60})],
                         ids=["g4", "h264", "extra-options"])
def test_other_settings_open_as_the_mapping_gives_them(config):
    assert config.encoder_options(2) == config.ffmpeg_options(2)


@pytest.mark.parametrize("settings", [{}, {"crf": 20, "preset": 10, "fast_decode": 2}, {"crf": 45, "preset": 8}],
                         ids=["defaults", "crf20-preset10-fastdecode2", "crf45-preset8"])
def test_same_packets_sooner(settings):
    config = RGBEncoderConfig(**settings)
    frames = [synthetic_rgb(n, WIDTH, HEIGHT, noise=8) for n in range(40)]
    mapped, mapped_held = encode(config.ffmpeg_options(1), frames)
    prompt, prompt_held = encode(config.encoder_options(1), frames)
    assert len(prompt) == 40 and prompt == mapped
    assert prompt_held < mapped_held


def test_a_lone_last_frame_is_a_keyframe_of_the_same_quality():
    """An episode of odd length ends in a GOP of one frame: coded at another quantizer, every other packet alike."""
    config = RGBEncoderConfig()
    frames = [synthetic_rgb(n, WIDTH, HEIGHT, noise=8) for n in range(41)]
    mapped, _ = encode(config.ffmpeg_options(1), frames)
    prompt, _ = encode(config.encoder_options(1), frames)
    assert prompt[:40] == mapped[:40] and prompt[40][:2] == mapped[40][:2] == (40, True)
    last = [psnr(decoded(packets)[40], frames[40]) for packets in (mapped, prompt)]
    before = psnr(decoded(mapped)[38], frames[38])  # the keyframe before it
    assert abs(last[1] - last[0]) < 0.5 and abs(last[1] - before) < 0.5, (last, before)
