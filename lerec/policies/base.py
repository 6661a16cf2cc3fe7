"""What a policy is to lerec: the features it consumes and produces, and one or a chunk of actions at a time.

Observations travel as the robot's do (:mod:`lerec.robots.base`): a mapping from dataset feature names to numpy
arrays, plus each camera's newest frame under its feature name (``observation.images.front``, HWC uint8). A policy
gives one action feature (usually ``action``) as a 1-D vector: one from :meth:`Policy.select_action`, or
``[n, action_dim]`` from :meth:`Policy.predict_chunk` for a chunking policy (ACT, diffusion, pi0, ...).
"""

from __future__ import annotations

import abc

import numpy as np

from lerec.robots.base import Features, Values


class Policy(abc.ABC):
    """A policy, created from its config (or folder) without touching the robot.

    Its methods may block (a forward pass): lerec calls them on a worker thread, never on the event loop, and never
    two at once. ``chunk_size > 1`` marks a chunking policy, which implements :meth:`predict_chunk`; the others
    implement :meth:`select_action`.
    """

    #: Shown in errors and reports (``act``, ``scripted``, ...).
    name: str = "policy"
    #: Actions per :meth:`predict_chunk`; 1: the policy gives one action per :meth:`select_action`.
    chunk_size: int = 1

    @property
    @abc.abstractmethod
    def observation_features(self) -> Features:
        """The features each observation must hold (names as the policy knows them, before ``--rename_map``):
        numeric ones as the robot declares them; cameras as ``{"dtype": "video", "shape": [h, w, 3]}``."""

    @property
    @abc.abstractmethod
    def action_features(self) -> Features:
        """The one action feature the policy produces (``{"action": {"dtype", "shape": [dim], "names"}}``)."""

    def reset(self) -> None:
        """Forget the episode so far (queued actions, history); called before each episode."""

    def select_action(self, observation: Values) -> np.ndarray:
        """The action for this observation, a 1-D vector of the action feature's shape."""
        return np.asarray(self.predict_chunk(observation))[0]

    def predict_chunk(self, observation: Values) -> np.ndarray:
        """The next ``[n, action_dim]`` actions from this observation: row i is meant for i ticks after it."""
        return np.asarray(self.select_action(observation))[None]

    def close(self) -> None:
        """Release what the policy holds (a GPU, a server); called once when the session ends."""
