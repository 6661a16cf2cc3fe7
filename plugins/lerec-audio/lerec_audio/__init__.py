"""lerec's audio sensor plugin: a microphone through PortAudio, recorded at its own rate beside the frames."""

from lerec_audio.config import AudioConfig
from lerec_audio.sensor import Microphone

__all__ = ["AudioConfig", "Microphone"]
