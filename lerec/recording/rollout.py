"""A policy on the robot for a session: its features matched before the robot moves, then episodes recorded by
the same :class:`~lerec.recording.Recorder` as ``lerec record`` (same format, same guarantees), or, for the
``base`` strategy, the robot driven with nothing recorded.

Strategies (LeRobot's ``lerobot-rollout`` names): ``base`` drives and records nothing; ``episodic`` records
``num_episodes`` episodes with resets between them; ``dagger`` does too, with human corrections
(:class:`~lerec.recording.rollout_rows.RolloutControls`) recorded as ``intervention`` and the policy's own
proposal as ``policy_action``; ``sentry`` records back-to-back episodes of ``episode_time_s`` until ``duration_s``
or a stop, calling ``on_saved`` after each (where the Hub uploader plugs in).
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import anyio
import attrs

from lerec.cameras.registry import create_camera
from lerec.encoding.config import DepthEncoderConfig, RGBEncoderConfig
from lerec.errors import SettingsError
from lerec.policies import registry as policy_registry
from lerec.policies.base import Policy
from lerec.policies.features import match_features
from lerec.recording.camera_reader import CameraReader
from lerec.recording.clock import sleep_until, tick_offset_ns
from lerec.recording.highlight import Highlights
from lerec.recording.inference import MODES, Inference, InferenceReport, make_inference
from lerec.recording.recorder import Recorder
from lerec.recording.report import EpisodeReport, lateness_percentiles
from lerec.recording.robot_loop import opened
from lerec.recording.rollout_rows import PolicyRows, RolloutControls, dagger_features
from lerec.recording.camera_streams import resolve_sources
from lerec.robots import registry as robot_registry
from lerec.robots.base import Robot, Teleop

STRATEGIES = ("base", "episodic", "sentry", "highlight", "dagger")
RECORDING = ("episodic", "sentry", "dagger", "highlight")


@attrs.define(frozen=True)
class RolloutSettings:
    """What a rollout does; checked on construction (SettingsError naming the flag)."""

    strategy: str = attrs.field(default="episodic")
    inference: str | None = None  # None: async for a chunking policy, sync otherwise
    chunk_size_threshold: float = 0.5
    num_episodes: int = 1
    episode_time_s: float = 10.0
    reset_time_s: float = 0.0
    duration_s: float = 0.0  # 0: no limit (base: until stopped)
    task: str = "policy rollout"
    rename_map: Mapping[str, str] = attrs.field(factory=dict, converter=dict)
    ring_buffer_seconds: float = 10.0  # highlight: the seconds before the key kept, encoded

    def __attrs_post_init__(self):
        if self.strategy not in STRATEGIES:
            raise SettingsError(f"--strategy.type={self.strategy}: expected one of {', '.join(STRATEGIES)}")
        if self.ring_buffer_seconds <= 0:
            raise SettingsError(f"--strategy.ring_buffer_seconds={self.ring_buffer_seconds:g}: expected seconds > 0")
        if self.inference is not None and self.inference not in MODES:
            raise SettingsError(f"--inference.type={self.inference}: expected sync or async")
        if not 0 <= self.chunk_size_threshold <= 1:
            raise SettingsError(f"--inference.chunk_size_threshold={self.chunk_size_threshold}: expected 0 to 1")
        if self.duration_s < 0:
            raise SettingsError(f"--duration={self.duration_s:g}: expected seconds >= 0")
        if self.strategy == "base" and self.duration_s <= 0:
            raise SettingsError("--strategy.type=base needs --duration=SECONDS (it records nothing)")


@attrs.define(frozen=True)
class RolloutEpisode:
    """An episode of a rollout: the recorder's report (None for ``base``), how the actions came, and how many
    ticks a human drove."""

    recorded: EpisodeReport | None
    inference: InferenceReport
    interventions: int
    lateness_ms_p99: float = 0.0
    episode_index: int | None = None  # highlight: the episode saved (its report is the inference's so far)

    def summary(self) -> str:
        if self.episode_index is not None:
            head = f"highlight saved as episode {self.episode_index}"
        elif self.recorded is not None:
            head = self.recorded.summary()
        else:
            head = f"rollout: tick lateness p99 {self.lateness_ms_p99:.1f} ms"
        extra = f", {self.interventions} ticks corrected by hand" if self.interventions else ""
        return f"{head}; {self.inference.summary()}{extra}"


def check_teleop(settings: RolloutSettings, robot: Robot, teleop: Teleop | None) -> None:
    if settings.strategy == "dagger" and teleop is None:
        raise SettingsError("--strategy.type=dagger needs a teleop to take over with (--teleop.type=...)")
    if teleop is not None and dict(teleop.action_features).keys() != dict(robot.action_features).keys():
        raise SettingsError(f"the teleop gives {sorted(teleop.action_features)}; the robot takes "
                            f"{sorted(robot.action_features)}")


class Rollout:
    """A policy driving a robot, episode after episode. Use :meth:`create`, then :meth:`episodes`."""

    def __init__(self, robot: Robot, teleop: Teleop | None, policy: Policy, settings: RolloutSettings,
                 controls: RolloutControls):
        self.robot, self.teleop, self.policy, self.settings = robot, teleop, policy, settings
        self.controls = controls
        self.recorder: Recorder | None = None
        self.inference: Inference | None = None
        self.rows: PolicyRows | None = None
        self.highlights: Highlights | None = None
        self._stopped = False

    def dataset_features(self) -> dict[str, Any]:
        features = {**self.robot.observation_features, **self.robot.action_features}
        if self.settings.strategy == "dagger":
            features.update(dagger_features(next(iter(self.robot.action_features.values()))))
        return features

    async def _forget_if_empty(self, new_root: bool) -> None:
        """A dataset this session created and that holds no episode (the cameras did not fit the policy, the
        first episode failed) is removed: a bad input leaves nothing behind."""
        if new_root and self.recorder is not None and self.recorder.num_episodes == 0:
            root = self.recorder.root
            await anyio.to_thread.run_sync(lambda: shutil.rmtree(root, ignore_errors=True))

    def stop(self) -> None:
        """End the session: the episode being recorded ends at its next tick and is saved."""
        self._stopped = True
        if self.recorder is not None:
            self.recorder.stop()

    @property
    def stopped(self) -> bool:
        return self._stopped

    @classmethod
    @contextlib.asynccontextmanager
    async def create(cls, robot: Any, policy: Any, cameras: Mapping[str, Any], settings: RolloutSettings, *,
                     teleop: Any = None, controls: RolloutControls | None = None, root: Any = None, fps: int = 30,
                     **recorder_options: Any) -> AsyncIterator[Rollout]:
        """Check the policy against the robot and cameras, then open them (and, unless ``base``, the dataset at
        ``root``: ``recorder_options`` are :meth:`Recorder.create`'s). Nothing is sent before the match passed."""
        robot = robot_registry.create("robot", robot)
        teleop = robot_registry.create("teleop", teleop) if teleop is not None else None
        check_teleop(settings, robot, teleop)
        policy = policy_registry.create(policy)
        self = cls(robot, teleop, policy, settings, controls or RolloutControls())
        # The numeric features first: before a camera, a file or the robot opens.
        match_features(policy, robot.observation_features, None, robot.action_features, settings.rename_map)
        new_root = root is not None and not Path(root).exists()
        try:
            async with contextlib.AsyncExitStack() as stack:
                if settings.strategy in RECORDING:
                    stack.push_async_callback(self._forget_if_empty, new_root)  # runs once the recorder closed
                    self.recorder = rec = await stack.enter_async_context(Recorder.create(
                        root, fps, cameras, self.dataset_features(), robot_type=robot.name, **recorder_options))
                    camera_features = {key: rec.writer.meta.features[key] for key in rec.sources}
                    sources = rec.sources
                else:
                    tg = await stack.enter_async_context(anyio.create_task_group())
                    stack.callback(tg.cancel_scope.cancel)
                    sources, camera_features = await _open_cameras(tg, cameras, fps)
                fmap = match_features(policy, robot.observation_features, camera_features, robot.action_features,
                                      settings.rename_map)
                self.inference = make_inference(settings.inference, policy, fmap, settings.chunk_size_threshold)
                wanted = set(fmap.sources.values())
                frames = {key: src for key, src in sources.items() if key in wanted}
                self.rows = PolicyRows(robot, self.inference, lambda: {
                    key: src.reader.newest(src.stream.name).data for key, src in frames.items()},
                    teleop=teleop, controls=self.controls, dagger=settings.strategy == "dagger")
                if settings.strategy == "highlight":
                    self.highlights = Highlights(self.recorder, self.rows, settings.ring_buffer_seconds,
                                                 settings.task)
                await stack.enter_async_context(opened(robot, teleop))
                workers = await stack.enter_async_context(anyio.create_task_group())
                stack.callback(workers.cancel_scope.cancel)
                await workers.start(self.inference.run)
                self.fps = fps
                yield self
        finally:
            await anyio.to_thread.run_sync(policy.close)

    def mark_highlight(self) -> None:
        """highlight: start an episode with the ring buffer's seconds before now, or end the one being recorded
        and save it (LeRobot's save key). Safe from any task or thread."""
        if self.highlights is not None:
            self.highlights.mark()

    async def episodes(self, on_saved: Callable[[RolloutEpisode], Any] | None = None) -> list[RolloutEpisode]:
        """Run the strategy to its end (episodes, duration, or :meth:`stop`); ``on_saved`` after each episode."""
        s, done = self.settings, []
        if s.strategy == "highlight":
            return await self._highlights(on_saved)
        deadline = time.monotonic() + s.duration_s if s.duration_s else None
        while not self._stopped:
            if s.strategy != "sentry" and len(done) >= s.num_episodes:
                break
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 1 / self.fps:
                break
            episode = await self._episode(left)
            if episode.recorded is not None and episode.recorded.discarded:
                continue
            done.append(episode)
            if on_saved is not None:
                on_saved(episode)
            if s.strategy == "base" or self._stopped or (self.recorder and self.recorder.stopped):
                break
            if s.reset_time_s > 0 and s.strategy != "sentry" and len(done) < s.num_episodes:
                await self.recorder.reset(s.reset_time_s)
        return done

    async def _highlights(self, on_saved) -> list[RolloutEpisode]:
        """highlight: one clock for the whole session; each saved highlight is reported as it is saved."""
        self.rows.start_episode()
        await self.inference.start_episode(await self.rows.first_observation())
        length = round(self.settings.duration_s * self.fps) if self.settings.duration_s else None
        done = []

        def saved(index: int) -> None:
            done.append(RolloutEpisode(None, self.inference.report(), 0, episode_index=index))
            if on_saved is not None:
                on_saved(done[-1])

        await self.highlights.run(length, saved)
        return done

    async def _episode(self, left_s: float | None) -> RolloutEpisode:
        s = self.settings
        length_s = left_s if s.strategy == "base" else min(s.episode_time_s, left_s or s.episode_time_s)
        self.rows.start_episode()
        await self.inference.start_episode(await self.rows.first_observation())
        if self.recorder is not None:
            report = await self.recorder.record_episode(s.task, num_frames=max(1, round(length_s * self.fps)),
                                                        step=self.rows)
            return RolloutEpisode(report, self.inference.report(), self.rows.interventions)
        lateness = await self._drive(max(1, round(length_s * self.fps)))
        return RolloutEpisode(None, self.inference.report(), self.rows.interventions, lateness_percentiles(lateness)[1])

    async def _drive(self, length: int) -> list[float]:
        """The ``base`` strategy's clock: the same ticks, nothing recorded."""
        t0, lateness = time.monotonic_ns(), []
        for k in range(length):
            if self._stopped:
                break
            deadline = t0 + tick_offset_ns(k, self.fps)
            lateness.append(max(0, await sleep_until(deadline) - deadline) / 1e9)
            await self.rows()
        return lateness


async def _open_cameras(tg, cameras: Mapping[str, Any], fps: int):
    readers = {}
    for name, config in cameras.items():
        reader = CameraReader(name, create_camera(name, config))
        error = await tg.start(reader.run)
        if error is not None:
            raise error
        readers[name] = reader
    for reader in readers.values():
        await reader.wait_first_frames(10.0)
    sources = await resolve_sources(readers, RGBEncoderConfig(), DepthEncoderConfig(), fps=fps, video=True,
                                    stream_threads=1, max_frame_age_s={})
    return sources.by_key, sources.features

