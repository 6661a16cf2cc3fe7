"""lerec: record LeRobot v3.0 datasets from many cameras at once, with nothing lost."""

from lerec.cameras.synthetic import SyntheticCameraConfig
from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig

__all__ = ["DepthEncoderConfig", "RGBEncoderConfig", "SyntheticCameraConfig"]
__version__ = "0.1.0"
