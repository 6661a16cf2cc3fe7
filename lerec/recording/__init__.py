"""The asyncio recording session."""

from lerec.recording.recorder import Recorder, RecorderStatus
from lerec.recording.report import EpisodeReport, StreamReport
from lerec.recording.session_config import SessionConfig

__all__ = ["EpisodeReport", "Recorder", "RecorderStatus", "SessionConfig", "StreamReport"]
