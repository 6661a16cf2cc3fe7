"""Depth video conversion FFV1 -> lossless HEVC: codes, timestamps and episode fragments survive exactly."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from lerec.cameras.synthetic import synthetic_depth
from lerec.encoding.av_compat import mp4_takes
from lerec.encoding.config import DepthEncoderConfig
from lerec.encoding.depth import quantize_depth
from lerec.encoding.depth_transcode import (
    depth_video_segments,
    iter_depth_codes,
    transcode_depth_video,
    verify_same_codes,
)
from lerec.encoding.episode_encoder import EpisodeEncoder
from lerec.encoding.fmp4 import append_episode, read_episode_fragment
from lerec.errors import DatasetError, EncoderConfigError

FFV1 = DepthEncoderConfig(vcodec="ffv1", extra_options={}, g=1, crf=None)
W, H, FPS = 96, 64, 30
# av 15's FFmpeg 7.1 cannot put FFV1 in MP4 (lerec then records depth as HEVC directly: tests/test_av_compat.py).
pytestmark = pytest.mark.skipif(not mp4_takes("ffv1"), reason="this FFmpeg cannot put FFV1 in MP4")


def depth_codes(n: int) -> np.ndarray:
    codes = quantize_depth(synthetic_depth(n, W, H), DepthEncoderConfig())
    # sensor-like noise so the encoders have something to lose
    noise = np.random.default_rng(n).integers(-3, 4, codes.shape)
    return np.where(codes > 0, np.clip(codes.astype(np.int64) + noise, 1, 4095), 0).astype(np.uint16)


def write_dataset_video(path: Path, episodes: list[int], config: DepthEncoderConfig = FFV1) -> list[np.ndarray]:
    """A dataset video as the recorder writes it: one fragment per episode, appended."""
    frames, start = [], 0
    for e, length in enumerate(episodes):
        episode_file = path.with_name(f"ep{e}.mp4")
        enc = EpisodeEncoder(episode_file, codec=config.vcodec, options=config.ffmpeg_options(),
                             width=W, height=H, fps=FPS, pix_fmt=config.pix_fmt, input_format="gray12le")
        for k in range(length):
            frames.append(depth_codes(start + k))
            enc.encode(frames[-1])
        enc.finish()
        append_episode(path, read_episode_fragment(episode_file), start, FPS)
        episode_file.unlink()
        start += length
    return frames


def test_ffv1_to_hevc_keeps_codes_timestamps_and_episodes(tmp_path):
    src, dst = tmp_path / "file-000.mp4", tmp_path / "file-000.hevc.mp4"
    written = write_dataset_video(src, [7, 5, 9])
    seen = []
    result = transcode_depth_video(src, dst, DepthEncoderConfig(preset="ultrafast"),
                                   progress=lambda done, total: seen.append((done, total)))
    assert result.segments == (7, 5, 9) and result.frames == 21
    assert seen[-1] == (21, 21) and len(seen) == 21
    with av.open(str(dst)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "hevc"
        assert stream.codec_context.format.name == "gray12le"
        pts = [float(f.pts * stream.time_base) for f in container.decode(stream)]
    assert pts == pytest.approx([k / FPS for k in range(21)], abs=1e-9)
    assert depth_video_segments(dst) == [7, 5, 9]
    decoded = list(iter_depth_codes(dst))
    assert all(np.array_equal(a, b) for a, b in zip(written, decoded, strict=True))
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_episode_appended_after_conversion_plays_on(tmp_path):
    src, dst = tmp_path / "file-000.mp4", tmp_path / "converted.mp4"
    write_dataset_video(src, [4, 6])
    config = DepthEncoderConfig(preset="ultrafast")
    transcode_depth_video(src, dst, config)
    more = tmp_path / "more.mp4"
    write_dataset_video(more, [5], config)
    append_episode(dst, read_episode_fragment(more), 10, FPS)
    assert depth_video_segments(dst) == [4, 6, 5]
    assert len(list(iter_depth_codes(dst))) == 15


def test_verification_names_the_first_differing_frame(tmp_path):
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    write_dataset_video(a, [3, 3])
    lossy = DepthEncoderConfig(preset="ultrafast", extra_options={}, crf=35)
    write_dataset_video(b, [3, 3], lossy)
    with pytest.raises(DatasetError, match="frame 0 differs"):
        verify_same_codes(a, b)
    c = tmp_path / "c.mp4"
    write_dataset_video(c, [2, 4])
    with pytest.raises(DatasetError, match=r"\[2, 4\] frames"):
        verify_same_codes(a, c)


def test_a_lossy_target_is_refused_before_encoding(tmp_path):
    src = tmp_path / "file-000.mp4"
    write_dataset_video(src, [2])
    with pytest.raises(EncoderConfigError, match="lossless"):
        transcode_depth_video(src, tmp_path / "out.mp4", DepthEncoderConfig(extra_options={}))
    assert not (tmp_path / "out.mp4").exists()
