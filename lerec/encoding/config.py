"""Encoder settings for RGB and depth streams, with LeRobot's field names, defaults and FFmpeg mapping."""

from __future__ import annotations

from typing import Any

import attrs

VIDEO_BACKEND = "pyav"


def _frozen_dict(value: Any) -> dict:
    return dict(value or {})


@attrs.define(frozen=True)
class RGBEncoderConfig:
    """How an RGB stream is encoded. Field names and defaults are LeRobot's ``--dataset.rgb_encoder.<field>``.

    vcodec: encoder name (``libsvtav1``, ``h264``, ``hevc``, a hardware encoder, or ``auto``).
    pix_fmt: pixel format given to the encoder.
    g: GOP size, a keyframe every ``g`` frames (small = fast random access while training).
    crf: quality, lower is better; mapped per codec.
    preset: speed preset, codec-specific (12 for libsvtav1 by default, else the codec's default).
    fast_decode: libsvtav1 fast-decode level 0..2; h264/hevc add ``tune=fastdecode`` when > 0.
    video_backend: decoder the dataset declares for reading ("pyav").
    extra_options: more FFmpeg options, merged last; never override a structured field.
    """

    vcodec: str = "libsvtav1"
    pix_fmt: str = "yuv420p"
    g: int | None = 2
    crf: float | None = 30
    preset: int | str | None = None
    fast_decode: int = 0
    video_backend: str = VIDEO_BACKEND
    extra_options: dict[str, Any] = attrs.field(factory=dict, converter=_frozen_dict)

    @property
    def effective_preset(self) -> int | str | None:
        if self.preset is None and self.vcodec == "libsvtav1":
            return 12
        return self.preset

    def ffmpeg_options(self, encoder_threads: int | None = None) -> dict[str, str]:
        """The FFmpeg options for this codec, as the spec's mapping table gives them."""
        from lerec.encoding.ffmpeg_mapping import ffmpeg_options

        return ffmpeg_options(self, encoder_threads)

    def to_video_info(self) -> dict[str, Any]:
        """The encoder-settings keys of a video feature's ``info`` block."""
        return {
            "video.g": self.g,
            "video.crf": self.crf,
            "video.preset": self.effective_preset,
            "video.fast_decode": self.fast_decode,
            "video.video_backend": self.video_backend,
            "video.extra_options": dict(self.extra_options),
        }


@attrs.define(frozen=True)
class DepthEncoderConfig(RGBEncoderConfig):
    """How a depth stream is encoded: 12-bit quantization codes in a grey video.

    depth_min, depth_max: the range in metres that the 4096 codes cover.
    shift: metres added before the logarithm in log mode (``depth_min + shift > 0``).
    use_log: log quantization (finer steps near the camera) or linear.
    """

    vcodec: str = "hevc"
    pix_fmt: str = "gray12le"
    extra_options: dict[str, Any] = attrs.field(factory=lambda: {"x265-params": "lossless=1"}, converter=_frozen_dict)
    depth_min: float = 0.01
    depth_max: float = 10.0
    shift: float = 3.5
    use_log: bool = True

    def to_video_info(self) -> dict[str, Any]:
        info = super().to_video_info()
        info.update(
            {
                "video.depth_min": self.depth_min,
                "video.depth_max": self.depth_max,
                "video.shift": self.shift,
                "video.use_log": self.use_log,
            }
        )
        return info
