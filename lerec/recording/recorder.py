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

from lerec.cameras.base import feature_key
from lerec.cameras.registry import create_camera
from lerec.dataset.lock import dataset_lock
from lerec.dataset.writer import DatasetWriter, PendingEpisode
from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.dataset.depth_conversion import (
    DatasetProgress,
    conversion_depth_config,
    convert_dataset_depth,
    log_progress,
    realtime_depth_config,
    unconverted_depth_hint,
)
from lerec.encoding.depth_transcode import TranscodeResult
from lerec.encoding.validation import resolve_encoder_config
from lerec.errors import CameraError, Interrupted, LerecError, leaf_errors
from lerec.recording.camera_reader import CameraReader
from lerec.recording.clock import tick_offset_ns
from lerec.recording.episode_control import EpisodeControls, Rerecorded
from lerec.recording.interpreter import frozen_heap, short_gil_switch
from lerec.recording.report import EpisodeReport, StreamReport, lateness_percentiles, old_frame_warnings
from lerec.recording.robot_loop import RobotRows, StepRows, check_devices, drive, opened
from lerec.recording.row_check import RowCheck
from lerec.recording.status import RecorderStatus
from lerec.recording.settings import check_session, check_task, default_frame_age_s
from lerec.recording.session_setup import (
    check_resume,
    encoder_for,
    numeric_features,
    stream_feature,
    threads_per_stream,
)
from lerec.recording.stream_encoder import StreamEncoder
from lerec.robots import registry as robot_registry

log = logging.getLogger(__name__)

Step = Callable[[], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]


@attrs.define(frozen=True)
class _Source:
    key: str
    reader: CameraReader
    stream: Any
    config: RGBEncoderConfig
    max_frame_age_ns: int


def _single(group: BaseExceptionGroup) -> BaseException:
    """The one exception inside a task group's group (the session's tasks never raise; the caller's code may)."""
    leaves = leaf_errors(group)
    return leaves[0] if len(leaves) == 1 else group


class Recorder(EpisodeControls):
    """Records episodes into a dataset. Create with ``async with Recorder.create(...) as rec``."""

    def __init__(self, root: Path, fps: int, camera_configs: Mapping[str, Any], features, *, robot_type,
                 rgb_encoder, depth_encoder, encoder_threads, encoder_queue_maxsize, streaming_encoding, video,
                 resume, camera_timeout_s, robot=None, teleop=None, max_frame_age_s=None):
        self.root = Path(root)
        self.fps = int(fps)
        self.camera_configs = dict(camera_configs)
        self.robot = robot_registry.create("robot", robot) if robot is not None else None
        self.teleop = robot_registry.create("teleop", teleop) if teleop is not None else None
        check_devices(self.robot, self.teleop)
        if self.robot is not None and features:
            raise LerecError(f"features come from the robot ({sorted(self._robot_features())}); "
                             "do not pass features= with robot=")
        self.declared_features = numeric_features(self._robot_features() if self.robot else features)
        self.infer_features = features is None and self.robot is None
        self.robot_type = robot_type or (self.robot.name if self.robot else None)
        self.rgb_encoder = rgb_encoder or RGBEncoderConfig()
        self.depth_encoder = depth_encoder or DepthEncoderConfig()
        self.encoder_threads = encoder_threads  # None: the codec's choice when converting depth
        self.stream_threads = encoder_threads  # each stream's encoder while recording (None: cores / streams)
        self.encoder_queue_maxsize = encoder_queue_maxsize
        self.streaming_encoding = streaming_encoding
        self.video = video
        self.resume = resume
        self.camera_timeout_s = camera_timeout_s
        self.max_frame_age_s = max_frame_age_s or {}  # per camera name; None: default_frame_age_s
        self.readers: dict[str, CameraReader] = {}
        self.sources: dict[str, _Source] = {}
        # Depth features recorded with FFV1 for real time, and how they read once converted to HEVC.
        self.depth_to_convert: dict[str, dict[str, Any]] = {}
        self.writer: DatasetWriter | None = None
        self.status = RecorderStatus(fps=self.fps)
        EpisodeControls.__init__(self)
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
        encoder_queue_maxsize: int = 60,
        streaming_encoding: bool = True,
        video: bool = True,
        resume: bool = False,
        camera_timeout_s: float = 10.0,
        convert_depth: bool = True,
        robot: Any = None,
        teleop: Any = None,
        max_frame_age_s: float | Mapping[str, float | None] | None = None,
    ) -> AsyncIterator[Recorder]:
        """Open the cameras, check the encoder settings, create (or resume) the dataset at ``root``.

        Depth whose encoder is lossless HEVC (the default) is recorded with FFV1 and, when the session ends
        without error, converted to HEVC (``convert_depth=False`` leaves that to ``lerec convert-depth``).

        ``cameras`` maps camera names to camera configs (``SyntheticCameraConfig(...)`` or any plugin's).
        ``features`` declares what ``step`` returns (``{"observation.state": {"dtype": "float32", "shape": [6]}}``);
        when omitted, it is inferred from the first ``step`` result. ``encoder_threads`` is each stream's
        encoder threads; by default the usable cores are shared among the streams (at least one each).

        ``robot`` and ``teleop`` are configs of installed robot/teleop types (``SyntheticRobotConfig()``, any
        plugin's) or :class:`lerec.robots.Robot`/:class:`~lerec.robots.Teleop` objects. They are opened for the
        session; the features are the robot's, and ``record_episode`` needs no ``step`` when a teleop gives the
        actions (without one, ``step(observation)`` returns the action, as a policy would).
        ``max_frame_age_s`` (seconds, for every camera or a mapping by camera name) is the oldest frame a tick may
        use: a camera silent for longer ends the episode with a CameraError (default: 10 periods of the camera or
        of the dataset clock, whichever is slower, at least 2 s). Settings are checked before anything is
        opened or written (SettingsError).
        """
        if not cameras:
            raise LerecError("no cameras: pass at least one, e.g. {'front': SyntheticCameraConfig()}")
        root, fps, limits = check_session(root, fps, cameras, encoder_threads, encoder_queue_maxsize,
                                          camera_timeout_s, max_frame_age_s)
        rec = cls(root, fps, cameras, features, robot_type=robot_type, rgb_encoder=rgb_encoder,
                  depth_encoder=depth_encoder, encoder_threads=encoder_threads,
                  encoder_queue_maxsize=encoder_queue_maxsize, streaming_encoding=streaming_encoding,
                  video=video, resume=resume, camera_timeout_s=camera_timeout_s, robot=robot, teleop=teleop,
                  max_frame_age_s=limits)
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
                            finally:
                                tg.cancel_scope.cancel()
                except BaseExceptionGroup as group:
                    rec._hint_depth_conversion()
                    raise _single(group) from None
                except BaseException:
                    rec._hint_depth_conversion()
                    raise
                for reader in rec.readers.values():
                    if reader.error and not reader.error_raised:
                        log.warning("%s (after the last episode's frames)", reader.error)
                if rec.writer is not None and convert_depth and rec.depth_to_convert:
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
        features: dict[str, dict[str, Any]] = {}
        if self.encoder_threads is None:
            self.stream_threads = threads_per_stream(sum(len(r.streams) for r in self.readers.values()))
        for name, reader in self.readers.items():
            for stream in reader.streams:
                base = encoder_for(stream, self.rgb_encoder, self.depth_encoder)
                capture = realtime_depth_config(base) if stream.kind == "depth" else base
                config = await anyio.to_thread.run_sync(
                    lambda: resolve_encoder_config(capture, channels=stream.channels, width=stream.width,
                                                   height=stream.height, encoder_threads=self.stream_threads)
                )
                key = feature_key(name, stream)
                if key in self.sources:
                    raise LerecError(f"two streams map to the feature {key!r}: rename a camera")
                limit_s = self.max_frame_age_s.get(name) or default_frame_age_s(stream.fps, self.fps)
                self.sources[key] = _Source(key, reader, stream, config, round(limit_s * 1e9))
                features[key] = stream_feature(stream, config, self.video)
                if capture is not base and self.video:
                    self.depth_to_convert[key] = stream_feature(stream, conversion_depth_config(base), self.video)
        features.update(self.declared_features)
        self._held.enter_context(dataset_lock(self.root, "lerec record"))
        if self.resume and (self.root / "meta/info.json").exists():
            self.writer = await anyio.to_thread.run_sync(DatasetWriter.resume, self.root)
            check_resume(self.writer.meta.info, self.fps, self._as_converted(features), str(self.root))
            self.infer_features = False
        else:
            self.writer = await anyio.to_thread.run_sync(
                lambda: DatasetWriter.create(self.root, self.fps, features, self.robot_type, self.video)
            )
        self._limiter = anyio.CapacityLimiter(max(2, len(self.sources)))
        for reader in self.readers.values():
            await reader.wait_first_frames(self.camera_timeout_s)

    def _as_converted(self, features: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """``features`` with depth features as converted, where the dataset being resumed holds them so."""
        existing = self.writer.meta.features
        out = dict(features)
        for key, converted in self.depth_to_convert.items():
            if (existing.get(key, {}).get("info") or {}).get("video.codec") == converted["info"]["video.codec"]:
                out[key] = converted
        return out

    def _hint_depth_conversion(self) -> None:
        """A session ending on an error leaves depth in FFV1, which LeRobot cannot read: say how to convert it."""
        if self.writer is not None and self.depth_to_convert and self.writer.meta.episodes:
            hint = unconverted_depth_hint(self.root, self.depth_encoder)
            if hint:
                log.warning("%s", hint)

    async def convert_depth(self, progress: DatasetProgress | None = None) -> list[TranscodeResult]:
        """Convert the depth videos recorded with FFV1 to the depth encoder's lossless HEVC, off the event loop;
        codes are verified identical and info.json changes last (see :mod:`lerec.dataset.depth_conversion`)."""
        self.status.phase = "converting depth"
        report = progress or log_progress()

        def progress_or_stop(done: int, total: int, path: Path) -> None:
            if self._abort_requested:  # raised on the conversion's thread, which then deletes what it converted
                raise Interrupted(f"depth conversion stopped; the depth videos of {self.root} stay FFV1 "
                                  f"(`lerec convert-depth {self.root}` converts them)")
            report(done, total, path)

        try:
            return await anyio.to_thread.run_sync(lambda: convert_dataset_depth(
                self.root, self.depth_encoder, progress=progress_or_stop, encoder_threads=self.encoder_threads))
        finally:
            self.status.phase = "idle"

    @property
    def num_episodes(self) -> int:
        return len(self.writer.meta.episodes)

    def request_stop(self) -> None:
        """End the episode being recorded at its next tick; it is saved with the frames it has."""
        self._stop_requested = True

    async def reset(self, duration_s: float) -> None:
        """The reset between episodes: for ``duration_s`` the teleop keeps driving the robot and nothing is
        recorded (without a teleop, a wait). :meth:`end_episode` or :meth:`stop` ends it early."""
        length = int(round(duration_s * self.fps))
        self.status = RecorderStatus("reset", self.num_episodes, 0, length, self.fps)
        try:
            await drive(self.robot, self.teleop, self.fps, length, lambda: self._stop_requested,
                        lambda tick: setattr(self.status, "tick", tick))
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
            if reader.error:
                reader.error_raised = True
                raise reader.error
        self._stop_requested = self._stopped
        self._rerecord_requested = False
        index = self.num_episodes
        if self._abort_requested:
            raise Interrupted(f"episode {index} was not recorded; the {index} episode(s) before it are intact")
        if self._stopped:
            return EpisodeReport(index, task, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, {}, stopped_early=True)
        source = self._row_source(step)
        encoders = {key: self._stream_encoder(src, index) for key, src in self.sources.items()}
        self.status = RecorderStatus("recording", index, 0, length, self.fps)
        log.info("episode %d: recording %d frames", index, length)
        report = None
        try:
            # Cancelling this scope (abort) stops the save where it waits: a thread writing a file finishes first.
            with anyio.CancelScope() as self._episode_scope:
                report = await self._record(task, index, length, source, encoders)
            if report is None:
                raise Interrupted(f"episode {index} was not saved; the {index} episode(s) before it are intact")
        except BaseException as exc:
            # Every thread of the episode has returned (its task groups waited for them): nothing writes now.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._discard_episode, encoders)
            if isinstance(exc, Rerecorded):
                return exc.report
            raise
        finally:
            self._episode_scope = None
            self.status.phase = "idle"
        log.debug("%s", report.summary())
        return report

    def _row_source(self, step) -> StepRows | RobotRows:
        if self.robot is not None:
            return RobotRows(self.robot, self.teleop, step)
        infer = self.infer_features and not self.writer.meta.episodes
        return StepRows(step, RowCheck(self.declared_features, "step", infer=infer))

    def _discard_episode(self, encoders: Mapping[str, StreamEncoder]) -> None:
        """Close the episode's encoders and put back what its save changed; a failure here is logged, never
        raised over the error that ended the episode."""
        for encoder in encoders.values():
            try:
                encoder.abort()
            except Exception as exc:
                log.warning("closing the encoder of camera %r: %s", encoder.camera, exc)
        try:
            self.writer.abandon_episode()
        except Exception as exc:
            log.warning("%s: undoing the unfinished save failed (%s); `lerec record --resume` repairs it", self.root,
                        exc)

    def _stream_encoder(self, src: _Source, index: int) -> StreamEncoder:
        return StreamEncoder(
            src.reader.name, src.stream, src.config, fps=self.fps, staging=self.writer.staging, episode_index=index,
            encoder_threads=self.stream_threads,
            memory_frames=self.encoder_queue_maxsize if self.streaming_encoding else 0, limiter=self._limiter,
            as_images=not self.video,
        )

    async def _record(self, task, index, length, source, encoders: dict[str, StreamEncoder]) -> EpisodeReport:
        rows: list[Mapping[str, Any]] = []
        lateness: list[float] = []
        last_seq: dict[str, int] = {}
        repeated = dict.fromkeys(encoders, 0)
        seqs: dict[str, list[int]] = {key: [] for key in encoders}
        ages_us: dict[str, list[int]] = {key: [] for key in encoders}
        save_errors: list[Exception] = []
        await anyio.to_thread.run_sync(self.writer.add_task, task)  # a new task's file is written now, not at the save
        async with anyio.create_task_group() as opening:
            for encoder in encoders.values():
                opening.start_soon(encoder.prepare)
        failure = self._failure(encoders)
        if failure:
            raise failure
        async with anyio.create_task_group() as tg:
            for encoder in encoders.values():
                tg.start_soon(encoder.backlog.run_spiller)
                if self.streaming_encoding:
                    tg.start_soon(encoder.run)
            t0_ns = time.monotonic_ns()
            for k in range(length):
                if self._stop_requested and k > 0:
                    self._stop_requested = self._stopped  # used up: a request during the save ends the reset
                    break
                if self._rerecord_requested:
                    failure = Rerecorded(EpisodeReport(index, task, len(rows), (time.monotonic_ns() - t0_ns) / 1e9,
                                                        *lateness_percentiles(lateness), 0.0, 0.0, {},
                                                        stopped_early=True, discarded=True))
                    break
                deadline_ns = t0_ns + tick_offset_ns(k, self.fps)
                delay_ns = deadline_ns - time.monotonic_ns()
                if delay_ns > 0:
                    await anyio.sleep(delay_ns / 1e9)
                now_ns = time.monotonic_ns()
                late_ns = max(0, now_ns - deadline_ns)
                lateness.append(late_ns / 1e9)
                failure = self._failure(encoders)
                if failure:
                    break
                for key, src in self.sources.items():
                    frame = src.reader.latest[src.stream.name]
                    age_ns = now_ns - frame.timestamp_ns
                    # A loop running late ages every frame alike: only the camera's own silence counts.
                    if age_ns - late_ns > src.max_frame_age_ns:
                        failure = self._stalled(src, age_ns)
                        break
                    if last_seq.get(key) == frame.seq:
                        repeated[key] += 1
                    last_seq[key] = frame.seq
                    seqs[key].append(frame.seq)
                    ages_us[key].append(age_ns // 1000)
                    encoders[key].backlog.put(k, now_ns, frame.data)
                if failure:
                    break
                try:
                    rows.append(await source.row(k))
                except Exception as exc:  # the robot or the step failed: the episode ends, discarded
                    failure = exc
                    break
                self.status.update(k + 1, encoders, ages_us, self.sources.values())
            end_of_ticks_ns = time.monotonic_ns()
            if failure:
                tg.cancel_scope.cancel()
            else:
                for encoder in encoders.values():
                    encoder.backlog.close()
                self.status.phase = "encoding"
                if not self.streaming_encoding:
                    for encoder in encoders.values():
                        tg.start_soon(encoder.run)
                tg.start_soon(self.status.follow_draining, encoders)
                # Saving starts now, stream by stream, while the other encoders still flush.
                provenance = {}
                for key in encoders:
                    provenance[f"lerec/{key}/camera_seq"] = seqs[key]
                    provenance[f"lerec/{key}/capture_age_us"] = ages_us[key]
                pending = self.writer.begin_episode(task, len(rows), provenance)
                frames_placed = anyio.Event()
                tg.start_soon(self._save_frames, pending, rows, source.features, encoders, frames_placed,
                              save_errors)
                tg.start_soon(self._stage_row, pending, encoders, frames_placed, save_errors)
                for key, encoder in encoders.items():
                    if not encoder.as_images:
                        tg.start_soon(self._save_video, pending, key, encoder, save_errors)
        if failure:
            raise failure
        # A camera failing now has given every frame of this episode already: it surfaces at the next one.
        failure = next((e.error for e in encoders.values() if e.error), None) or (save_errors or [None])[0]
        if failure:
            await anyio.to_thread.run_sync(self.writer.abandon_episode)
            raise failure
        self.status.phase = "saving"
        await anyio.to_thread.run_sync(self.writer.commit_episode, pending)
        saved_ns = time.monotonic_ns()
        # Integer nanoseconds: float seconds at large monotonic values lose the last bits of a period.
        episode_end_ns = max(end_of_ticks_ns, t0_ns + tick_offset_ns(len(rows), self.fps))
        p50, p99, worst = lateness_percentiles(lateness)
        streams = {
            key: StreamReport(key, e.encoded, repeated[key], e.backlog.spilled_frames, e.backlog.max_depth, e.lag_s,
                              max(ages_us[key], default=0) / 1e6)
            for key, e in encoders.items()
        }
        for warning in old_frame_warnings(index, streams, {k: src.stream.fps for k, src in self.sources.items()},
                                          self.fps):
            log.warning("%s", warning)
        return EpisodeReport(index, task, len(rows), (episode_end_ns - t0_ns) / 1e9, p50, p99, worst,
                             max(0, saved_ns - episode_end_ns) / 1e9, (saved_ns - end_of_ticks_ns) / 1e9, streams,
                             stopped_early=len(rows) < length)

    async def _save_frames(self, pending: PendingEpisode, rows, features, encoders: Mapping[str, StreamEncoder],
                           placed: anyio.Event, errors: list[Exception]) -> None:
        """The episode's parquet rows (with PNG images when ``video=False``), written once they are all known."""
        try:
            columns = self._columns(rows, features)
            extra_stats = {}
            for key, encoder in encoders.items():
                if encoder.as_images:
                    images = await encoder.result()
                    columns[key] = [{"bytes": png, "path": None} for png in images.pngs]
                    extra_stats[key] = images.stats
            table = await anyio.to_thread.run_sync(self.writer.place_frames, pending, columns, extra_stats)
            placed.set()
            await anyio.to_thread.run_sync(self.writer.append_frames, pending, table)
        except Exception as exc:
            errors.append(exc)
        finally:
            placed.set()

    async def _stage_row(self, pending: PendingEpisode, encoders: Mapping[str, StreamEncoder],
                         frames_placed: anyio.Event, errors: list[Exception]) -> None:
        """Once the rows are placed and every frame is encoded, write the episode's row to meta/ while the
        encoders still flush; only info.json is then left for after the videos are appended."""
        try:
            await frames_placed.wait()
            for encoder in encoders.values():
                await encoder.frames_encoded.wait()
            if errors or pending.data_row is None or any(e.error for e in encoders.values()):
                return
            videos = {key: e for key, e in encoders.items() if not e.as_images}
            await anyio.to_thread.run_sync(
                lambda: self.writer.stage_row(pending, {key: e.stats_result() for key, e in videos.items()}))
        except Exception as exc:
            errors.append(exc)

    async def _save_video(self, pending: PendingEpisode, key: str, encoder: StreamEncoder,
                          errors: list[Exception]) -> None:
        """Append one stream's video to the dataset as soon as its encoder has flushed."""
        try:
            video = await encoder.result()
            await anyio.to_thread.run_sync(self.writer.add_video, pending, key, video)
        except Exception as exc:
            errors.append(exc)

    def _failure(self, encoders: Mapping[str, StreamEncoder]) -> LerecError | None:
        for reader in self.readers.values():
            if reader.error:
                reader.error_raised = True
                return reader.error
        for encoder in encoders.values():
            if encoder.error:
                return encoder.error
        return None

    def _stalled(self, src: _Source, age_ns: int) -> CameraError:
        limit = src.max_frame_age_ns / 1e9
        return CameraError(src.reader.name, f"no new frame for {age_ns / 1e9:.1f} s (max_frame_age_s={limit:g}; "
                           "raise it for a camera that may pause)", stream=src.stream.name)

    def _columns(self, rows: list[Mapping[str, Any]], features: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """The episode's numeric columns; each row was checked against the features at its tick (RowCheck)."""
        if self.infer_features and not self.writer.meta.episodes:
            for key, feature in features.items():
                self.writer.meta.features.setdefault(key, feature)
            self.declared_features = dict(features)
        return {key: np.stack([row[key] for row in rows]) for key in features}
