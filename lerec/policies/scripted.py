"""The ``scripted`` policy: deterministic, no model, no torch, so a test checks every row it drove.

From an observation whose ``observation.state`` is ``s``, the action meant for ``i`` ticks later is
``s + (i + 1) * step * [1, 2, ..., joints]``. With the synthetic robot (``gain=1``: the state read at a tick is the
action sent at the tick before) every row then holds ``action - observation.state == step * [1, ..., joints]``,
whether the action came from a chunk predicted ticks earlier or from this tick's observation; a held action
(the chunk ran out) shows as a row where the difference is zero. ``latency_s`` makes each prediction take that
long (a model's forward pass); ``fail`` makes the ``fail_at``-th prediction return a bad action.
"""

from __future__ import annotations

import time

import attrs
import numpy as np

from lerec.plugins.hookspecs import hookimpl
from lerec.policies.base import Policy
from lerec.policies.types import PolicyType
from lerec.robots.base import Features, Values, vector_feature
from lerec.robots.synthetic import joint_names

FAILURES = ("nan", "shape", "dtype")


def _positive(_, attribute, value):
    if value < 1:
        raise ValueError(f"{attribute.name} must be >= 1, got {value!r}")


def _not_negative(_, attribute, value):
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value!r}")


def _failure(_, attribute, value):
    if value is not None and value not in FAILURES:
        raise ValueError(f"{attribute.name} must be one of {', '.join(FAILURES)}, got {value!r}")


@attrs.define(frozen=True)
class ScriptedPolicyConfig:
    """``joints``: size of ``observation.state`` and ``action``; ``chunk_size``: actions per prediction (1: one
    action per tick); ``step``: how far each action moves; ``latency_s``: time each prediction takes;
    ``cameras``: camera names whose frames it consumes (``observation.images.<name>``, any size);
    ``fail`` (nan, shape, dtype) from prediction ``fail_at`` on."""

    joints: int = attrs.field(default=6, validator=_positive)
    chunk_size: int = attrs.field(default=30, validator=_positive)
    step: float = 0.01
    latency_s: float = attrs.field(default=0.0, validator=_not_negative)
    cameras: tuple[str, ...] = attrs.field(default=(), converter=lambda v: tuple([v] if isinstance(v, str) else v))
    fail: str | None = attrs.field(default=None, validator=_failure)
    fail_at: int = attrs.field(default=0, validator=_not_negative)


class ScriptedPolicy(Policy):
    name = "scripted"

    def __init__(self, config: ScriptedPolicyConfig):
        self.config = config
        self.chunk_size = config.chunk_size
        self.predictions = 0
        self.increment = (config.step * np.arange(1, config.joints + 1)).astype(np.float32)

    @property
    def observation_features(self) -> Features:
        cameras = {f"observation.images.{name}": {"dtype": "video", "shape": None} for name in self.config.cameras}
        return {"observation.state": vector_feature(joint_names(self.config.joints)), **cameras}

    @property
    def action_features(self) -> Features:
        return {"action": vector_feature(joint_names(self.config.joints))}

    def predict_chunk(self, observation: Values) -> np.ndarray:
        if self.config.latency_s:
            time.sleep(self.config.latency_s)
        for key in self.observation_features:
            if key not in observation:
                raise KeyError(f"scripted policy: no {key!r} in the observation")
        state = np.asarray(observation["observation.state"], dtype=np.float32)
        steps = np.arange(1, self.chunk_size + 1, dtype=np.float32)[:, None]
        chunk = state[None, :] + steps * self.increment[None, :]
        n, self.predictions = self.predictions, self.predictions + 1
        if self.config.fail is not None and n >= self.config.fail_at:
            return _broken(chunk, self.config.fail)
        return chunk

    def select_action(self, observation: Values) -> np.ndarray:
        return self.predict_chunk(observation)[0]


def _broken(chunk: np.ndarray, how: str) -> np.ndarray:
    if how == "nan":
        chunk[:, 0] = np.nan
        return chunk
    if how == "shape":
        return chunk[:, :-1]
    return chunk.astype(np.complex64)


@hookimpl
def lerec_policy_types() -> list[PolicyType]:
    return [PolicyType("scripted", ScriptedPolicyConfig, ScriptedPolicy,
                       description="deterministic steps from the observed state, no model (tests, demos)")]
