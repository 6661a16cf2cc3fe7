"""The recording session: cameras, a clock at the dataset fps, stream encoders, and episode saving.

Invariant: every video of every episode has exactly ``length`` frames, frame k at pts k/fps, and the episode has
``length`` parquet rows. Each tick samples the newest frame of every stream (a camera slower than fps repeats its
last frame, counted) and the result of ``step``. Frames go to per-stream backlogs that never block the loop and
never drop: what the encoders cannot take yet waits on disk.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import anyio
import attrs
import numpy as np

from lerec.cameras.registry import create_camera
from lerec.dataset.spec import format as fmt
from lerec.dataset.store.lock import dataset_lock
from lerec.dataset.writing.depth_conversion import DatasetProgress
from lerec.dataset.writing.episode_save import EpisodeSave
from lerec.dataset.writing.writer import DatasetWriter
from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.encoding.depth_transcode import TranscodeResult
from lerec.errors import Interrupted, LerecError, SettingsError, single_error
from lerec.recording import depth_deferral
from lerec.recording.camera_reader import CameraReader
from lerec.recording.clock import tick_offset_ns
from lerec.recording.episode_control import EpisodeControls, Rerecorded
from lerec.recording.episode_handoff import close_encoders, save_recorded
from lerec.recording.episode_ticks import Ticks, run_ticks
from lerec.recording.interpreter import frozen_heap, short_gil_switch
from lerec.recording.labelling import EpisodeLabelling
from lerec.recording.report import EpisodeReport, StreamReport, lateness_percentiles, old_frame_warnings
from lerec.recording.robot_loop import RobotRows, StepRows, check_devices, drive, opened
from lerec.recording.row_check import RowCheck
from lerec.recording.status import RecorderStatus
from lerec.recording.sensor_session import SessionSensors, check_sensors
from lerec.recording.session_config import SessionConfig
from lerec.recording.settings import check_root, check_task
from lerec.recording.session_setup import (
    check_resume,
    encoder_calls_at_once,
    numeric_features,
    resumed_encoder,
    threads_per_stream,
)
from lerec.recording.camera_streams import CameraStream, resolve_sources
from lerec.recording.stream_encoder import StreamEncoder
from lerec.robots import registry as robot_registry

log = logging.getLogger(__name__)

Step = Callable[[], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]


class Recorder(EpisodeControls, EpisodeLabelling):
    """Records episodes into a dataset. Create with ``async with Recorder.create(...) as rec``."""

    def __init__(self, root: Path, config: SessionConfig, camera_configs: Mapping[str, Any], features, *,
                 rgb_encoder, depth_encoder, robot=None, teleop=None, sensors=None):
        self.root = Path(root)
        self.config = config  # max_frame_age_s by camera name (SessionConfig.for_cameras)
        self.sensors = SessionSensors(sensors or {})
        self.fps = int(config.fps)
        self.camera_configs = dict(camera_configs)
        self.robot = robot_registry.create("robot", robot) if robot is not None else None
        self.teleop = robot_registry.create("teleop", teleop) if teleop is not None else None
        check_devices(self.robot, self.teleop)
        if self.robot is not None and features:
            raise LerecError(f"features come from the robot ({sorted(self._robot_features())}); "
                             "do not pass features= with robot=")
        self.declared_features = numeric_features(self._robot_features() if self.robot else features)
        self.infer_features = features is None and self.robot is None
        self.robot_type = config.robot_type or (self.robot.name if self.robot else None)
        if config.resume:  # settings not given are the dataset's, as it says
            rgb_encoder = rgb_encoder or resumed_encoder(self.root, False)
            depth_encoder = depth_encoder or resumed_encoder(self.root, True)
        self.rgb_encoder = rgb_encoder or RGBEncoderConfig()
        self.depth_encoder = depth_encoder or DepthEncoderConfig()
        self.encoder_threads = config.encoder_threads  # None: the codec's choice when converting depth
        self.stream_threads = config.encoder_threads  # each stream's encoder while recording (None: cores / streams)
        self.readers: dict[str, CameraReader] = {}
        self.sources: dict[str, CameraStream] = {}
        # Depth features recorded with FFV1 for real time, and how they read once converted to HEVC.
        self.depth_to_convert: dict[str, dict[str, Any]] = {}
        self.writer: DatasetWriter | None = None
        self.status = RecorderStatus(fps=self.fps)
        EpisodeControls.__init__(self)
        EpisodeLabelling.__init__(self)
        self._abort_requested = False
        self._episode_scope: anyio.CancelScope | None = None  # bounds the episode being recorded and saved
        self._limiter: anyio.CapacityLimiter | None = None
        self._held = contextlib.ExitStack()

    def _robot_features(self) -> dict[str, Any]:
        return {**self.robot.observation_features, **self.robot.action_features}

    @classmethod
    @contextlib.asynccontextmanager
    async def create(
        cls,
        root: str | Path,
        fps: int,
        cameras: Mapping[str, Any],
        features: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        robot_type: str | None = None,
        rgb_encoder: RGBEncoderConfig | None = None,
        depth_encoder: DepthEncoderConfig | None = None,
        encoder_threads: int | None = None,
        encoder_queue_maxsize: int = 10,
        streaming_encoding: bool = True,
        video: bool = True,
        resume: bool = False,
        camera_timeout_s: float = 10.0,
        convert_depth: bool = True,
        robot: Any = None,
        teleop: Any = None,
        max_frame_age_s: float | Mapping[str, float | None] | None = None,
        sensors: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[Recorder]:
        """Open the cameras, check the encoder settings, create (or resume) the dataset at ``root``.

        Depth whose encoder is lossless HEVC (the default) is recorded with FFV1 and, when the session ends
        without error, converted to HEVC (``convert_depth=False`` leaves that to ``lerec convert-depth``).

        ``cameras`` maps camera names to camera configs (``SyntheticCameraConfig(...)`` or any plugin's).
        ``features`` declares what ``step`` returns (``{"observation.state": {"dtype": "float32", "shape": [6]}}``);
        when omitted, it is inferred from the first ``step`` result. ``encoder_threads`` is each stream's
        encoder threads; by default the usable cores are shared among the streams (at least one each).
        ``resume`` adds episodes to the dataset at ``root``: an encoder left None records as the dataset says its
        streams were recorded; one given must match that.

        ``robot`` and ``teleop`` are configs of installed robot/teleop types (``SyntheticRobotConfig()``, any
        plugin's) or :class:`lerec.robots.Robot`/:class:`~lerec.robots.Teleop` objects. They are opened for the
        session; the features are the robot's, and ``record_episode`` needs no ``step`` when a teleop gives the
        actions (without one, ``step(observation)`` returns the action, as a policy would).
        ``max_frame_age_s`` (seconds, for every camera or a mapping by camera name) is the oldest frame a tick may
        use: a camera silent for longer ends the episode with a CameraError (default: 10 periods of the camera or
        of the dataset clock, whichever is slower, at least 2 s). ``sensors`` maps sensor names to configs of
        installed sensor types (``SyntheticImuConfig(hz=200)``, a plugin's), each recorded at its own rate from
        each episode's first tick to its end. The keywords that are neither devices, sensors nor encoders (``fps``,
        ``robot_type``, ``video``, ...) are :class:`~lerec.recording.session_config.SessionConfig`'s fields, with
        their help. Settings are checked before anything is opened or written.
        """
        sensors = check_sensors(sensors)
        if not cameras:
            raise SettingsError("no cameras: pass at least one, e.g. {'front': SyntheticCameraConfig()}")
        config = SessionConfig(fps=fps, encoder_threads=encoder_threads, encoder_queue_maxsize=encoder_queue_maxsize,
                               streaming_encoding=streaming_encoding, video=video, convert_depth=convert_depth,
                               max_frame_age_s=max_frame_age_s, resume=resume, camera_timeout_s=camera_timeout_s,
                               robot_type=robot_type).for_cameras(cameras)
        rec = cls(check_root(root), config, cameras, features, rgb_encoder=rgb_encoder, depth_encoder=depth_encoder,
                  robot=robot, teleop=teleop, sensors=sensors)
        with contextlib.ExitStack() as rec._held:  # the dataset's lock, from before the dataset is touched
            try:
                try:
                    with short_gil_switch():
                        async with anyio.create_task_group() as tg:
                            try:
                                async with opened(rec.robot, rec.teleop):
                                    await rec._start(tg)
                                    with frozen_heap():
                                        yield rec
                                    await rec.write_requested_labels()  # keys pressed after the last episode
                            finally:
                                tg.cancel_scope.cancel()
                except BaseExceptionGroup as group:
                    rec._hint_depth_conversion()
                    raise single_error(group) from None  # the session's tasks never raise; the caller's code may
                except BaseException:
                    rec._hint_depth_conversion()
                    raise
                for reader in rec.readers.values():
                    if reader.error and not reader.error_raised:
                        log.warning("%s (after the last episode's frames)", reader.error)
                if rec.writer is not None and config.convert_depth and rec.depth_to_convert:
                    await rec.convert_depth()
            finally:
                if rec.writer is not None:  # every task and thread of the session has ended
                    rec.writer.remove_staging()

    async def _start(self, tg) -> None:
        for name, config in self.camera_configs.items():
            reader = CameraReader(name, create_camera(name, config))
            error = await tg.start(reader.run)
            if error is not None:
                raise error
            self.readers[name] = reader
        await self.sensors.open(tg)
        if self.encoder_threads is None:
            self.stream_threads = threads_per_stream(sum(len(r.streams) for r in self.readers.values()))
        sources = await resolve_sources(self.readers, self.rgb_encoder, self.depth_encoder, fps=self.fps,
                                        video=self.config.video, stream_threads=self.stream_threads,
                                        max_frame_age_s=self.config.max_frame_age_s)
        self.sources, self.depth_to_convert = sources.by_key, sources.depth_to_convert
        features = {**sources.features, **self.declared_features}
        self._held.enter_context(dataset_lock(self.root, "lerec record"))
        if self.config.resume and (self.root / fmt.INFO_PATH).exists():
            self.writer = await anyio.to_thread.run_sync(DatasetWriter.resume, self.root)
            converted = depth_deferral.as_converted(features, self.writer.meta.features, self.depth_to_convert)
            check_resume(self.writer.meta.info, self.fps, converted, str(self.root))
            self.infer_features = False
        else:
            self.writer = await anyio.to_thread.run_sync(
                lambda: DatasetWriter.create(self.root, self.fps, features, self.robot_type, self.config.video)
            )
        self._limiter = anyio.CapacityLimiter(encoder_calls_at_once())
        await anyio.to_thread.run_sync(self.sensors.declare, self.root, bool(self.writer.meta.episodes))
        for reader in self.readers.values():
            await reader.wait_first_frames(self.config.camera_timeout_s)
        await self.sensors.wait_first_batches(self.config.camera_timeout_s)

    def _hint_depth_conversion(self) -> None:
        """A session ending on an error leaves depth in FFV1, which LeRobot cannot read: say how to convert it."""
        if self.writer is not None and self.depth_to_convert and self.writer.meta.episodes:
            depth_deferral.hint_depth_conversion(self.root, self.depth_encoder)

    async def convert_depth(self, progress: DatasetProgress | None = None) -> list[TranscodeResult]:
        """Convert the depth videos recorded with FFV1 to the depth encoder's lossless HEVC, off the event loop;
        codes are verified identical and info.json changes last (see :mod:`lerec.dataset.writing.depth_conversion`)."""
        self.status.phase = "converting depth"
        try:
            return await depth_deferral.convert_depth(self.root, self.depth_encoder, self.encoder_threads,
                                                      lambda: self._abort_requested, progress)
        finally:
            self.status.phase = "idle"

    @property
    def num_episodes(self) -> int:
        return len(self.writer.meta.episodes)

    async def reset(self, duration_s: float) -> None:
        """The reset between episodes: for ``duration_s`` the teleop keeps driving the robot and nothing is
        recorded (without a teleop, a wait). :meth:`end_episode` or :meth:`stop` ends it early."""
        length = int(round(duration_s * self.fps))
        self.status = RecorderStatus("reset", self.num_episodes, 0, length, self.fps)
        try:
            await drive(self.robot, self.teleop, self.fps, length, lambda: self._stop_requested,
                        lambda tick: setattr(self.status, "tick", tick))
            await self.write_requested_labels()  # the operator's verdict on the episode before
        finally:
            self._stop_requested = self._stopped
            self.status.phase = "idle"

    def abort(self) -> None:
        """Abandon the episode being recorded or saved (and any later one, and a depth conversion): its save stops
        at its next safe point, once no thread is writing, every file it changed is put back byte for byte, and
        :meth:`record_episode` raises :class:`Interrupted`. An episode whose commit has begun is kept. Safe to call
        from a signal handler's task at any moment."""
        self._abort_requested = True
        self._stop_requested = True
        if self._episode_scope is not None:
            self._episode_scope.cancel()

    async def record_episode(
        self, task: str, duration_s: float | None = None, *, num_frames: int | None = None, step: Step | None = None
    ) -> EpisodeReport:
        """Record one episode of ``duration_s`` seconds (or ``num_frames`` ticks) and save it. Returns once the
        episode is durable on disk. On a camera, encoder, robot or ``step`` error (a value whose dtype or shape
        is not its feature's included, from the first tick), raises naming it; saved episodes are kept.

        ``step()`` gives each tick's numeric features; with a robot and no teleop, ``step(observation)`` gives
        the action. After :meth:`rerecord_episode` nothing is saved and the report says ``discarded``."""
        check_task(task)
        length = num_frames if num_frames is not None else int(round((duration_s or 0) * self.fps))
        if length <= 0:
            raise LerecError(f"an episode needs at least one frame (duration_s={duration_s}, num_frames={num_frames})")
        if self.robot is not None and self.teleop is not None and step is not None:
            raise LerecError("the teleop gives the robot's actions: record_episode takes no step here")
        if self.declared_features and step is None and self.teleop is None:
            what = "the robot has no teleop to give its actions" if self.robot else "no step was given"
            raise LerecError(f"features {sorted(self.declared_features)} were declared but {what}")
        for reader in self.readers.values():
            reader.raise_if_failed()
        self.sensors.raise_if_failed()
        self._stop_requested = self._stopped
        self._rerecord_requested = False
        await self.write_requested_labels()
        index = self.num_episodes
        if self._abort_requested:
            raise Interrupted(f"episode {index} was not recorded; the {index} episode(s) before it are intact")
        if self._stopped:
            return EpisodeReport(index, task, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, {}, stopped_early=True)
        source = self._row_source(step)
        encoders = {key: self._stream_encoder(src, index) for key, src in self.sources.items()}
        self.status = RecorderStatus("recording", index, 0, length, self.fps)
        log.info("episode %d: recording %d frames", index, length)
        report = failure = None
        try:
            # Cancelling this scope (abort) stops the save where it waits: a thread writing a file finishes first.
            with anyio.CancelScope() as self._episode_scope:
                report = await self._record(task, index, length, source, encoders)
        except* Exception as group:  # the episode's tasks have stopped and its save was abandoned
            failure = single_error(group, BaseException)  # the first raised: the others follow from it
        finally:
            self._episode_scope = None
            self.status.phase = "idle"
        if failure is not None or report is None:
            self.forget_labels(index)  # not saved: the index is recorded again
        if isinstance(failure, Rerecorded):
            return failure.report
        if failure is not None:
            raise failure  # the very error that ended the episode, raised once
        if report is None:
            raise Interrupted(f"episode {index} was not saved; the {index} episode(s) before it are intact")
        await self.write_requested_labels()  # asked while the episode was being saved
        report = attrs.evolve(report, label=self.shown_label(index))
        log.debug("%s", report.summary())
        return report

    def _row_source(self, step) -> StepRows | RobotRows:
        if self.robot is not None:
            return RobotRows(self.robot, self.teleop, step)
        infer = self.infer_features and not self.writer.meta.episodes
        return StepRows(step, RowCheck(self.declared_features, "step", infer=infer))

    def _stream_encoder(self, src: CameraStream, index: int) -> StreamEncoder:
        return src.encoder(self.fps, self.writer.staging, index, encoder_threads=self.stream_threads,
                           memory_frames=self.config.encoder_queue_maxsize if self.config.streaming_encoding else 0,
                           limiter=self._limiter, as_images=not self.config.video)

    async def _record(self, task, index, length, source, encoders: dict[str, StreamEncoder]) -> EpisodeReport:
        """Record the episode and save it; what ended it early is raised, with its save abandoned."""
        # The task is written before the first tick, not at the save.
        sensors = self.sensors.episode(self.writer.staging, index, self.fps, lambda: self.status.tick)
        async with EpisodeSave.open(self.writer, task, undo=[lambda: close_encoders(encoders), sensors.abort]) as save:
            async with anyio.create_task_group() as opening:
                for encoder in encoders.values():
                    opening.start_soon(encoder.prepare)
            async with anyio.create_task_group() as tg:
                for encoder in encoders.values():
                    tg.start_soon(encoder.backlog.run_spiller)
                    if self.config.streaming_encoding:
                        tg.start_soon(encoder.run)
                sensors.start_soon(tg)
                ticks = await run_ticks(self, self.status, self.sources, encoders, source, task=task, index=index,
                                        length=length, fps=self.fps, on_first_tick=sensors.start)
                sensors.end(ticks.t0_ns, len(ticks.rows))
                self.status.phase = "encoding"
                for encoder in encoders.values():
                    encoder.backlog.close()
                    encoder.hurry()  # no tick needs the CPU any more
                if not self.config.streaming_encoding:
                    for encoder in encoders.values():
                        tg.start_soon(encoder.run)
                tg.start_soon(self.status.follow_draining, encoders)
                # Saving starts now, stream by stream, while the other encoders still flush.
                save_recorded(save, ticks, encoders, lambda: self._columns(ticks.rows, source.features),
                              self.take_label_columns(index))
                sensors.save(save)
            self.status.phase = "saving"
        return self._report(task, index, length, ticks, encoders, time.monotonic_ns())

    def _report(self, task: str, index: int, length: int, ticks: Ticks, encoders: dict[str, StreamEncoder],
                saved_ns: int) -> EpisodeReport:
        # Integer nanoseconds: float seconds at large monotonic values lose the last bits of a period.
        episode_end_ns = max(ticks.end_ns, ticks.t0_ns + tick_offset_ns(len(ticks.rows), self.fps))
        p50, p99, worst = lateness_percentiles(ticks.lateness)
        streams = {
            key: StreamReport(key, e.encoded, ticks.repeated[key], e.backlog.spilled_frames, e.backlog.max_depth,
                              e.lag_s, max(ticks.ages_us[key], default=0) / 1e6)
            for key, e in encoders.items()
        }
        for warning in old_frame_warnings(index, streams, {k: src.stream.fps for k, src in self.sources.items()},
                                          self.fps):
            log.warning("%s", warning)
        return EpisodeReport(index, task, len(ticks.rows), (episode_end_ns - ticks.t0_ns) / 1e9, p50, p99, worst,
                             max(0, saved_ns - episode_end_ns) / 1e9, (saved_ns - ticks.end_ns) / 1e9, streams,
                             stopped_early=len(ticks.rows) < length)

    def _columns(self, rows: list[Mapping[str, Any]], features: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """The episode's numeric columns; each row was checked against the features at its tick (RowCheck)."""
        if self.infer_features and not self.writer.meta.episodes:
            for key, feature in features.items():
                self.writer.meta.features.setdefault(key, feature)
            self.declared_features = dict(features)
        return {key: np.stack([row[key] for row in rows]) for key in features}
