"""Every frame of a RealSense recording (.bag/.db3), in order, none dropped."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from typing import Any

import pyrealsense2 as rs

from lerec_realsense.frame_data import RS_STREAM, profile_stream, stream_name

QUEUE_SIZE = 8  # frames converted ahead of the reader; when full, the playback waits for the reader
POLL_S = 0.2
START_GRACE_S = 2.0  # a playback reports "stopped" until its first frame plays


class RecordingReader:
    """Plays a recording out of real time through per-sensor callbacks.

    librealsense's pipeline and syncer keep only their newest frames, so a reader that falls behind loses frames
    even out of real time. A sensor callback instead runs in the playback's own thread, and the playback reads
    the next frame only once it returns: a callback that waits for room in a bounded queue paces the playback.
    """

    def __init__(self, path: str, streams: tuple[str, ...], convert: Callable[[rs.frame, str], Any]):
        self._convert = convert
        self._frames: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)
        self._stopping = False
        self._played = False
        self._device = rs.context().load_device(path)
        self.playback = self._device.as_playback()
        self.playback.set_real_time(False)
        self.profiles: dict[str, tuple[int, int, int, rs.format]] = {}  # stream: (width, height, fps, format)
        self._sensors: list[rs.sensor] = []
        for sensor in self._device.query_sensors():
            wanted = [p for p in sensor.get_stream_profiles() if p.stream_type() in [RS_STREAM[s] for s in streams]]
            if wanted:
                sensor.open(wanted)
                self._sensors.append(sensor)
                for profile in map(rs.stream_profile.as_video_stream_profile, wanted):
                    self.profiles.setdefault(profile_stream(profile), video_format(profile))
        missing = [s for s in streams if s not in self.profiles]
        if missing:
            self.stop()
            raise LookupError(f"the recording has no {', '.join(missing)} stream (it has {sorted(self.profiles)})")
        self.playback.pause()  # the first sensor started would otherwise play frames the others never see
        for sensor in self._sensors:
            sensor.start(self._on_frame)
        self.playback.resume()
        self._started = time.monotonic()

    def _on_frame(self, frame: rs.frame) -> None:
        self._played = True
        stream = stream_name(frame)
        item = (stream, frame.get_frame_number(), round(frame.get_timestamp() * 1e6), self._convert(frame, stream))
        while not self._stopping:
            try:
                self._frames.put(item, timeout=POLL_S)
                return
            except queue.Full:
                continue

    def read(self) -> tuple[str, int, int, Any] | None:
        """The next frame as (stream, frame number, recorded time ns, data); ``None`` once the recording ended."""
        while True:
            try:
                return self._frames.get(timeout=POLL_S)
            except queue.Empty:
                started = self._played or time.monotonic() - self._started > START_GRACE_S
                playback = self.playback
                ended = playback is None or (started and playback.current_status() == rs.playback_status.stopped)
                if ended and self._frames.empty():  # checked after the status: the last frame may just have come
                    return None

    def stop(self) -> None:
        self._stopping = True
        for sensor in self._sensors:
            for call in (sensor.stop, sensor.close):
                try:
                    call()
                except RuntimeError:
                    pass  # not started, or already stopped
        # Release the device now: a second playback of the same file waits ~10 s while another one is alive.
        self._sensors, self._device, self.playback = [], None, None


def video_format(profile: rs.video_stream_profile) -> tuple[int, int, int, rs.format]:
    """A profile's (width, height, fps, format), as plain values: a profile keeps its device alive."""
    return profile.width(), profile.height(), profile.fps(), profile.format()

