"""The asyncio recording session."""

from lerec.recording.recorder import Recorder, RecorderStatus
from lerec.recording.report import EpisodeReport, StreamReport

__all__ = ["EpisodeReport", "Recorder", "RecorderStatus", "StreamReport"]
