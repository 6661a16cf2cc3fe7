"""The ``audio`` sensor type: registered under the entry-point group ``lerec.sensors``."""

from __future__ import annotations

from lerec.plugins.hookspecs import hookimpl
from lerec.sensors import FoundSensor, SensorType
from lerec_audio.config import MAX_CHANNELS, AudioConfig
from lerec_audio.sensor import Microphone, _sounddevice


def find() -> list[FoundSensor]:
    """Every input device PortAudio sees, with the options to record it."""
    sd = _sounddevice()
    apis = sd.query_hostapis()
    found = []
    for device in sd.query_devices():
        if device["max_input_channels"] < 1:
            continue
        rate = int(device["default_samplerate"])
        label = (f"{device['name']} ({apis[device['hostapi']]['name']}): up to {device['max_input_channels']} "
                 f"channel(s), {rate} Hz by default")
        found.append(FoundSensor(label, {"device": device["name"], "sample_rate": rate,
                                         "channels": min(device["max_input_channels"], MAX_CHANNELS, 2)}))
    return found


@hookimpl
def lerec_sensor_types() -> list[SensorType]:
    return [SensorType("audio", AudioConfig, Microphone, find=find,
                       description="a microphone through PortAudio (sounddevice), stored as lossless FLAC")]
