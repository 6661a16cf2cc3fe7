"""A RealSense device (through a pipeline) or recording as a lerec camera; librealsense calls run in a thread."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator

import anyio
import pyrealsense2 as rs

from lerec.cameras.base import Camera, Frame, StreamSpec
from lerec.cameras.device_clock import DeviceClock
from lerec.errors import CameraError
from lerec_realsense.config import RealSenseCameraConfig
from lerec_realsense.frame_data import COLOR_CHANNELS, RS_STREAM, device_info, frame_array, stream_name
from lerec_realsense.playback import RecordingReader, video_format
from lerec_realsense.sensor_options import apply_sensor_options

log = logging.getLogger(__name__)

RESET_SETTLE_S = 5.0  # a device re-enumerates on USB for a few seconds after a hardware reset
_RS_FORMAT = {"color": rs.format.rgb8, "depth": rs.format.z16}
FrameItem = tuple[str, int, int, object]  # (stream, frame number, device time ns, data)


class RealSenseCamera(Camera):
    """Colour and/or depth from one RealSense device or a ``.bag``/``.db3`` recording."""

    def __init__(self, name: str, config: RealSenseCameraConfig):
        self.name = name
        self.config = config
        self._limiter = anyio.CapacityLimiter(1)  # one librealsense call per camera at a time
        self._pipeline: rs.pipeline | None = None
        self._recording: RecordingReader | None = None
        self._align = rs.align(rs.stream.color) if config.align_depth_to_color else None
        self._streams: tuple[StreamSpec, ...] = ()
        self._last_frame_number: dict[str, int] = {}

    @property
    def streams(self) -> tuple[StreamSpec, ...]:
        return self._streams

    @property
    def _wanted(self) -> tuple[str, ...]:
        return tuple(s for s in ("color", "depth") if getattr(self.config, s))

    async def _run(self, fn, *args):
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    async def open(self) -> None:
        try:
            if self.config.playback:
                formats = await self._run(self._start_recording)
            else:
                await self._start_device_with_retries()
                formats = await self._run(self._apply_sensor_options)
            self._streams = self._stream_specs(formats)
        except BaseException:
            await self.close()
            raise

    def _convert(self, frame: rs.frame, stream: str):
        return frame_array(frame, stream, self.config.depth_unit)

    def _start_recording(self) -> dict[str, tuple[int, int, int, rs.format]]:
        path = os.path.abspath(os.path.expanduser(self.config.playback))
        if not os.path.isfile(path):
            raise CameraError(self.name, f"playback file {path!r} does not exist")
        try:
            self._recording = RecordingReader(path, self._wanted, self._convert)
        except (RuntimeError, LookupError) as exc:
            raise CameraError(self.name, f"cannot play {path!r} with streams {list(self._wanted)}: {exc}") from exc
        return self._recording.profiles

    def _select_device(self) -> rs.device:
        cfg = self.config
        devices = list(rs.context().query_devices())
        described = [
            f"{device_info(d, rs.camera_info.name)} ({device_info(d, rs.camera_info.serial_number)})" for d in devices
        ]
        if cfg.serial:
            matches = [d for d in devices if device_info(d, rs.camera_info.serial_number) == cfg.serial]
            wanted = f"serial {cfg.serial}"
        elif cfg.name:
            matches = [d for d in devices if cfg.name.lower() in device_info(d, rs.camera_info.name).lower()]
            wanted = f"name {cfg.name!r}"
        else:
            matches, wanted = devices, "any serial"
        if len(matches) == 1:
            return matches[0]
        seen = ", ".join(described) or "none"
        if not matches:
            raise CameraError(self.name, f"no RealSense device with {wanted} is connected (connected: {seen})")
        raise CameraError(self.name, f"{len(matches)} RealSense devices match {wanted} ({seen}): give serial")

    def _start_device(self) -> None:
        device = self._select_device()
        rs_config = rs.config()
        rs_config.enable_device(device_info(device, rs.camera_info.serial_number))
        for stream in self._wanted:
            width, height, fps = (getattr(self.config, f"{stream}_{f}") or 0 for f in ("width", "height", "fps"))
            rs_config.enable_stream(RS_STREAM[stream], width, height, _RS_FORMAT[stream], fps)  # 0: any
        pipeline = rs.pipeline()
        try:
            pipeline.start(rs_config)
        except RuntimeError as exc:
            raise CameraError(self.name, f"cannot start {device_info(device, rs.camera_info.name)}: {exc}") from exc
        self._pipeline = pipeline

    async def _start_device_with_retries(self) -> None:
        attempts = self.config.connect_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                await self._run(self._start_device)
                return
            except CameraError as exc:
                if attempt == attempts:
                    raise
                log.warning("%s (attempt %d of %d); retrying", exc, attempt, attempts)
            if self.config.hardware_reset:
                await self._run(self._hardware_reset)
            await anyio.sleep(RESET_SETTLE_S if self.config.hardware_reset else 1.0)

    def _hardware_reset(self) -> None:
        try:
            self._select_device().hardware_reset()
        except (CameraError, RuntimeError) as exc:
            log.warning("camera %r: hardware reset not possible: %s", self.name, exc)

    def _apply_sensor_options(self) -> dict[str, tuple[int, int, int, rs.format]]:
        """Manual exposure/gain/white balance; returns the profiles the pipeline runs."""
        cfg = self.config
        profile = self._pipeline.get_active_profile()
        values = {"exposure": cfg.exposure, "gain": cfg.gain, "white_balance": cfg.white_balance}
        if any(value is not None for value in values.values()):
            apply_sensor_options(self.name, profile.get_device().first_color_sensor(), values)
        return {s: video_format(profile.get_stream(RS_STREAM[s]).as_video_stream_profile()) for s in self._wanted}

    def _stream_specs(self, formats: dict[str, tuple[int, int, int, rs.format]]) -> tuple[StreamSpec, ...]:
        """The streams delivered, checked against the configured sizes and rates."""
        cfg = self.config
        source = "the file has" if self._recording else "the device gave"
        sizes = {}
        for stream in self._wanted:
            *got, fmt = formats[stream]
            asked = tuple(getattr(cfg, f"{stream}_{field}") for field in ("width", "height", "fps"))
            if any(a is not None and a != g for a, g in zip(asked, got)):
                asked_text = f"{asked[0] or '*'}x{asked[1] or '*'}@{asked[2] or '*'}"
                raise CameraError(self.name, f"{asked_text} requested, {source} {got[0]}x{got[1]}@{got[2]}", stream)
            if stream == "color" and fmt not in COLOR_CHANNELS:
                raise CameraError(self.name, f"colour format {fmt} is not RGB/BGR(A)", stream)
            sizes[stream] = tuple(got)
        if cfg.align_depth_to_color:
            sizes["depth"] = (*sizes["color"][:2], sizes["depth"][2])
        return tuple(
            StreamSpec(s, "rgb", w, h, fps) if s == "color" else StreamSpec(s, "depth", w, h, fps, cfg.depth_unit)
            for s, (w, h, fps) in sizes.items()
        )

    # -- reading ----------------------------------------------------------------------------------------------

    def _read_device(self) -> list[FrameItem]:
        """The frames of the next frameset that were not delivered before (the syncer repeats frames)."""
        try:
            ok, frameset = self._pipeline.try_wait_for_frames(int(self.config.frame_timeout_s * 1000))
        except RuntimeError as exc:
            raise CameraError(self.name, f"librealsense: {exc}") from exc
        if not ok:
            raise CameraError(self.name, f"no frames for {self.config.frame_timeout_s:g} s (disconnected?)")
        if self._align is not None:
            frameset = self._align.process(frameset)
        items = []
        for frame in frameset:
            stream = stream_name(frame)
            if stream in self._wanted and frame.get_frame_number() != self._last_frame_number.get(stream):
                self._last_frame_number[stream] = frame.get_frame_number()
                items.append((stream, frame.get_frame_number(), round(frame.get_timestamp() * 1e6),
                              self._convert(frame, stream)))
        return items

    async def frames(self) -> AsyncIterator[Frame]:
        if self._pipeline is None and self._recording is None:
            raise CameraError(self.name, "frames() called before open()")
        seq = dict.fromkeys(self._wanted, 0)
        if self._recording is not None:
            stream_items = self._recording_frames()
        else:
            stream_items = self._device_frames()
        async for stream, timestamp_ns, data in stream_items:
            yield Frame(stream, seq[stream], timestamp_ns, data)
            seq[stream] += 1

    async def _device_frames(self):
        clock = DeviceClock()
        while True:
            items = await self._run(self._read_device)
            arrival_ns = time.monotonic_ns()
            for stream, _, device_ns, data in items:
                yield stream, clock.to_monotonic_ns(device_ns, arrival_ns), data

    async def _recording_frames(self):
        """A recording's frames; in ``realtime``, each at its recorded offset from the first."""
        origin: tuple[int, int] | None = None  # (monotonic ns, recorded ns) of the first frame
        recording = self._recording  # close() may drop it while a read waits; that read then ends the loop
        while (item := await self._run(recording.read)) is not None:
            stream, _, recorded_ns, data = item
            if not self.config.realtime:
                yield stream, time.monotonic_ns(), data
                continue
            origin = origin or (time.monotonic_ns(), recorded_ns)
            timestamp_ns = origin[0] + recorded_ns - origin[1]
            await anyio.sleep(max(0.0, (timestamp_ns - time.monotonic_ns()) / 1e9))
            yield stream, timestamp_ns, data

    async def close(self) -> None:
        pipeline, self._pipeline = self._pipeline, None
        recording, self._recording = self._recording, None
        if recording is not None:
            await anyio.to_thread.run_sync(recording.stop)  # not behind the limiter: it wakes a waiting read
        if pipeline is not None:
            await self._run(self._stop_pipeline, pipeline)

    @staticmethod
    def _stop_pipeline(pipeline: rs.pipeline) -> None:
        try:
            pipeline.stop()
        except RuntimeError:
            pass  # never started, or already stopped
