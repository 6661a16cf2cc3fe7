"""Resolved configs encode real frames through PyAV and decode back to what went in."""

import av
import numpy as np
import pytest

from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.encoding.depth import quantize_depth
from lerec.encoding.realtime import keeping_caller_policy
from lerec.encoding.validation import resolve_encoder_config

WIDTH, HEIGHT, FRAMES = 64, 48, 6


def encode_decode(path, config, frames: list[av.VideoFrame], encoder_threads=None) -> list[av.VideoFrame]:
    """Write ``frames`` to an MP4 with ``config``'s encoder and options, then decode the file back."""
    # SVT-AV1 started by root makes its caller SCHED_FIFO: give pytest's thread back its policy (and every
    # thread it starts later, which would inherit it).
    with keeping_caller_policy(), av.open(str(path), "w") as container:
        stream = container.add_stream(config.encoder, rate=30, options=config.ffmpeg_options(encoder_threads))
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, config.pix_fmt
        for frame in frames:
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def rgb_frames() -> list[np.ndarray]:
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    return [np.stack([(x * 4 + i * 8) % 256, (y * 5) % 256, np.full_like(x, 128)], -1).astype(np.uint8) for i in range(FRAMES)]


@pytest.mark.parametrize(
    "config",
    [RGBEncoderConfig(), RGBEncoderConfig(vcodec="h264", crf=18, fast_decode=1), RGBEncoderConfig(vcodec="auto")],
    ids=["libsvtav1-defaults", "h264-fastdecode", "auto"],
)
def test_rgb_frames_come_back_close(config, tmp_path):
    config = resolve_encoder_config(config, channels=3, width=WIDTH, height=HEIGHT, encoder_threads=1)
    sent = rgb_frames()
    frames = [av.VideoFrame.from_ndarray(a, format="rgb24").reformat(format=config.pix_fmt) for a in sent]
    decoded = encode_decode(tmp_path / "rgb.mp4", config, frames, encoder_threads=1)
    assert len(decoded) == FRAMES
    for original, frame in zip(sent, decoded):
        error = np.abs(frame.to_ndarray(format="rgb24").astype(int) - original).mean()
        assert error < 12


def test_depth_codes_survive_lossless_hevc_exactly(tmp_path):
    config = resolve_encoder_config(DepthEncoderConfig(), channels=1, width=WIDTH, height=HEIGHT)
    depth_mm = (np.arange(WIDTH * HEIGHT, dtype=np.uint16).reshape(HEIGHT, WIDTH) * 3 + 200)
    codes = [quantize_depth(depth_mm + 10 * i, config) for i in range(FRAMES)]
    decoded = encode_decode(tmp_path / "depth.mp4", config, [av.VideoFrame.from_ndarray(c, format="gray12le") for c in codes])
    assert [f.format.name for f in decoded] == ["gray12le"] * FRAMES
    for sent, frame in zip(codes, decoded):
        np.testing.assert_array_equal(frame.to_ndarray(), sent)
