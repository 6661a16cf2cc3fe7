"""A policy's actions for the clock: ``sync`` (the forward pass on the clock, which waits for it) or ``async``
(chunks predicted on a worker thread from the newest observation; the clock never waits for the model).

``async``: the clock takes, at tick ``k``, action ``k - k0`` of the newest chunk, predicted from the observation
of tick ``k0`` (so the model's latency costs no stale actions), and asks for the next chunk once no more than
``chunk_size_threshold`` of the current one is left. A chunk that runs out before the next arrives holds its last
action (counted). Every chunk is checked before any of it is sent: a wrong shape or dtype, a NaN or an infinity
is a :class:`~lerec.errors.PolicyError` at that tick, and nothing of that chunk reaches the robot.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import anyio
import attrs
import numpy as np

from lerec.errors import PolicyError
from lerec.policies.base import Policy
from lerec.policies.features import FeatureMap

MODES = ("sync", "async")


def check_chunk(policy: Policy, fmap: FeatureMap, chunk: Any, tick: int) -> np.ndarray:
    """``chunk`` as a float32 ``[n, *action_shape]`` array in the robot's order, or a PolicyError naming it."""
    where = f"policy {policy.name!r} at tick {tick}"
    try:
        array = np.asarray(chunk)
    except Exception as exc:  # noqa: BLE001 - a torch tensor on a GPU, a ragged list: say what came back
        raise PolicyError(f"{where} gave a {type(chunk).__name__} that is not an array: {exc}") from None
    if array.ndim == len(fmap.action_shape):
        array = array[None]
    if array.ndim != len(fmap.action_shape) + 1 or tuple(array.shape[1:]) != fmap.action_shape or not len(array):
        raise PolicyError(f"{where} gave actions of shape {list(array.shape)}; expected [n, "
                          f"{', '.join(map(str, fmap.action_shape))}] ({fmap.action_key!r})")
    if array.dtype.kind not in "fiu":
        raise PolicyError(f"{where} gave actions of dtype {array.dtype}; expected floating point")
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0]
        raise PolicyError(f"{where} gave a non-finite action ({array[tuple(bad)]} at {bad.tolist()}); "
                          "nothing of it was sent")
    return np.stack([fmap.action(a) for a in array])


@attrs.define(frozen=True)
class InferenceReport:
    """How an episode's actions came: ``held``: ticks that repeated the last action because the chunk ran out
    (async); ``predictions`` and their latency (ms, p50/p99/max); for sync, how long the clock waited for them."""

    mode: str
    ticks: int
    held: int
    predictions: int
    latency_ms_p50: float
    latency_ms_p99: float
    latency_ms_max: float

    def summary(self) -> str:
        return (f"inference {self.mode}: {self.predictions} predictions, latency p50 {self.latency_ms_p50:.1f} ms "
                f"p99 {self.latency_ms_p99:.1f} ms, {self.held} of {self.ticks} ticks held the last action")


class Inference:
    """The actions of one policy for the ticks of an episode; :meth:`start_episode` before each."""

    mode = "sync"

    def __init__(self, policy: Policy, fmap: FeatureMap):
        self.policy = policy
        self.fmap = fmap
        self.limiter = anyio.CapacityLimiter(1)  # one forward pass at a time, reset included
        self.tick = 0
        self.held = 0
        self.latencies_ns: list[int] = []
        self._chunk: np.ndarray | None = None
        self._start = 0  # the tick whose observation the chunk was predicted from
        self._last: np.ndarray | None = None

    async def start_episode(self, observation: Mapping[str, Any]) -> None:
        """Reset the policy; an async engine also predicts the first chunk here, before the clock starts."""
        await anyio.to_thread.run_sync(self.policy.reset, limiter=self.limiter)
        self.tick, self.held, self.latencies_ns = 0, 0, []
        self._chunk, self._last = None, None

    async def _predict(self, observation: Mapping[str, Any], tick: int) -> np.ndarray:
        t0 = time.monotonic_ns()
        call = self.policy.predict_chunk if self.policy.chunk_size > 1 else self.policy.select_action
        try:
            chunk = await anyio.to_thread.run_sync(call, self.fmap.observation(observation), limiter=self.limiter)
        except PolicyError:
            raise
        except Exception as exc:
            raise PolicyError(f"policy {self.policy.name!r} failed at tick {tick}: {type(exc).__name__}: "
                              f"{exc}") from exc
        self.latencies_ns.append(time.monotonic_ns() - t0)
        return check_chunk(self.policy, self.fmap, chunk, tick)

    def _take(self, k: int) -> np.ndarray:
        i = k - self._start
        if self._chunk is not None and 0 <= i < len(self._chunk):
            self._last = self._chunk[i]
        elif self._last is not None:
            self.held += 1
        else:
            raise PolicyError(f"policy {self.policy.name!r} had no action ready at tick {k}")
        return self._last

    async def action(self, observation: Mapping[str, Any]) -> np.ndarray:
        """This tick's action (robot order, float32); sync predicts on the clock when the chunk is used up."""
        k, self.tick = self.tick, self.tick + 1
        if self._chunk is None or k - self._start >= len(self._chunk):
            self._chunk, self._start = await self._predict(observation, k), k
        return self._take(k)

    def report(self) -> InferenceReport:
        ms = np.asarray(self.latencies_ns or [0]) / 1e6
        return InferenceReport(self.mode, self.tick, self.held, len(self.latencies_ns), float(np.percentile(ms, 50)),
                               float(np.percentile(ms, 99)), float(ms.max()))

    async def run(self, *, task_status=anyio.TASK_STATUS_IGNORED) -> None:
        """The worker (async only); sync has none."""
        task_status.started()


class AsyncInference(Inference):
    """Chunks predicted by :meth:`run` (a task of the session's task group) while the clock runs."""

    mode = "async"

    def __init__(self, policy: Policy, fmap: FeatureMap, chunk_size_threshold: float = 0.5):
        super().__init__(policy, fmap)
        self.threshold = chunk_size_threshold
        self._wanted = anyio.Event()
        self._newest: tuple[int, int, Mapping[str, Any]] | None = None  # episode, tick, observation
        self._episode = 0
        self._pending = False
        self._arrived: tuple[int, int, np.ndarray] | None = None  # episode, tick, chunk
        self._error: BaseException | None = None

    async def start_episode(self, observation: Mapping[str, Any]) -> None:
        self._episode += 1
        await super().start_episode(observation)
        self._arrived, self._error, self._pending = None, None, False
        self._chunk, self._start = await self._predict(observation, 0), 0

    async def run(self, *, task_status=anyio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await self._wanted.wait()
            self._wanted = anyio.Event()
            episode, tick, observation = self._newest
            try:
                chunk = await self._predict(observation, tick)
            except PolicyError as exc:
                self._error = exc  # raised on the clock at its next tick: the episode ends there
                continue
            finally:
                self._pending = False
            if episode == self._episode:
                self._arrived = (episode, tick, chunk)

    async def action(self, observation: Mapping[str, Any]) -> np.ndarray:
        """This tick's action, never waiting for the model."""
        if self._error is not None:
            raise self._error
        k, self.tick = self.tick, self.tick + 1
        if self._arrived is not None:
            _, start, chunk = self._arrived
            self._arrived = None
            if k - start < len(chunk):
                self._chunk, self._start = chunk, start
        action = self._take(k)
        left = len(self._chunk) - (k - self._start) - 1
        if not self._pending and left <= max(1, math.floor(self.threshold * len(self._chunk))):
            self._pending = True
            self._newest = (self._episode, k, observation)
            self._wanted.set()
        return action


def make_inference(mode: str | None, policy: Policy, fmap: FeatureMap, chunk_size_threshold: float = 0.5
                   ) -> Inference:
    """``mode`` None: async for a chunking policy, sync otherwise."""
    mode = mode or ("async" if policy.chunk_size > 1 else "sync")
    if mode == "async":
        return AsyncInference(policy, fmap, chunk_size_threshold)
    return Inference(policy, fmap)
