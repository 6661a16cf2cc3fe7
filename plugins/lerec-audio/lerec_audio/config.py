"""The options of an ``audio`` sensor (``--sensors='{mic: {type: audio, device: pulse, sample_rate: 16000}}'``)."""

from __future__ import annotations

import attrs

MAX_CHANNELS = 8  # what FLAC stores
RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000)


def _device(_, attribute, value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, str))
                              or (isinstance(value, int) and value < 0) or value == ""):
        raise ValueError(f"{attribute.name} must be a device name (part of it is enough), an index >= 0, or "
                         f"null for the default input; got {value!r}")


def _rate(_, attribute, value):
    if isinstance(value, bool) or value not in RATES:
        raise ValueError(f"{attribute.name} must be one of {', '.join(map(str, RATES))} Hz, got {value!r}")


def _channels(_, attribute, value):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CHANNELS:
        raise ValueError(f"{attribute.name} must be an integer from 1 to {MAX_CHANNELS}, got {value!r}")


def _block(_, attribute, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.002 <= value <= 0.5:
        raise ValueError(f"{attribute.name} must be a number of seconds from 0.002 to 0.5, got {value!r}")


@attrs.define(frozen=True)
class AudioConfig:
    """A microphone: the PortAudio input ``device`` (a name or part of one, an index, or null for the default
    input; `lerec sensors --find` lists them), recorded as int16 at ``sample_rate`` on ``channels`` channels in
    blocks of ``block_s``. A rate or channel count the device refuses is an error when the session opens it,
    before anything is written."""

    device: str | int | None = attrs.field(default=None, validator=_device,
                                           metadata={"help": "input device: name, part of it, index, or null"})
    sample_rate: int = attrs.field(default=16000, validator=_rate, metadata={"help": "samples per second"})
    channels: int = attrs.field(default=1, validator=_channels, metadata={"help": "channels (1 to 8)"})
    block_s: float = attrs.field(default=0.02, validator=_block,
                                 metadata={"help": "seconds of audio per PortAudio callback"})
