"""Encoder settings, FFmpeg option mapping, stream encoders and depth quantization."""

from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig

__all__ = ["DepthEncoderConfig", "RGBEncoderConfig"]
