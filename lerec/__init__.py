"""lerec: record LeRobot v3.0 datasets from many cameras at once, with nothing lost."""

from lerec.cameras.synthetic import SyntheticCameraConfig
from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.recording import EpisodeReport, Recorder

__all__ = ["DepthEncoderConfig", "EpisodeReport", "RGBEncoderConfig", "Recorder", "SyntheticCameraConfig"]
__version__ = "0.1.0"
