"""Encoder settings, FFmpeg option mapping, stream encoders and depth quantization."""

from lerec.encoding.config import DepthEncoderConfig, EncoderConfig, RGBEncoderConfig

__all__ = ["DepthEncoderConfig", "EncoderConfig", "RGBEncoderConfig"]
