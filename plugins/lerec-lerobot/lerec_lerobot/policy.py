"""Any LeRobot policy as a lerec policy: loaded from a pretrained folder (or Hub id) as ``lerobot-rollout`` loads
it — its config, then its class's ``from_pretrained``, ``eval()``, and the pre/post-processors saved beside it.

Its features are the config's ``input_features`` (cameras as ``[h, w, c]``, lerec's order) and
``output_features``; each observation goes through LeRobot's ``prepare_observation_for_inference`` and the
preprocessor, each action or chunk back through the postprocessor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import numpy as np

from lerec.errors import SettingsError
from lerec.policies.base import Policy
from lerec.robots.base import Features, Values


@attrs.define(frozen=True)
class LeRobotPolicyConfig:
    """``path``: a folder written by ``save_pretrained`` (config.json, model.safetensors, processors) or a Hub id;
    ``device``: torch device (default: the config's); ``task``: the task text given to language policies."""

    path: str
    device: str | None = None
    task: str = ""


def loads_path(path: str) -> bool:
    """Whether ``path`` looks like a LeRobot policy: a folder with a config.json naming its ``type``, or a Hub id."""
    folder = Path(path)
    if folder.is_dir():
        return (folder / "config.json").is_file()
    return not folder.exists() and path.count("/") == 1 and not path.startswith((".", "/"))


def _feature(policy_feature: Any) -> dict[str, Any]:
    kind = getattr(policy_feature.type, "name", str(policy_feature.type))
    shape = [int(n) for n in policy_feature.shape]
    if kind == "VISUAL":  # LeRobot's (c, h, w); lerec's cameras are (h, w, c)
        return {"dtype": "video", "shape": [shape[1], shape[2], shape[0]]}
    return {"dtype": "float32", "shape": shape, "names": None}


class LeRobotPolicy(Policy):
    def __init__(self, config: LeRobotPolicyConfig):
        self.config = config
        try:
            import torch
            from lerobot.configs.policies import PreTrainedConfig
            from lerobot.policies import get_policy_class, make_pre_post_processors
        except Exception as exc:  # noqa: BLE001 - LeRobot missing or broken: one line
            raise SettingsError(f"--policy.path={config.path}: LeRobot cannot be imported ({exc})") from None
        self._torch = torch
        try:
            cfg = PreTrainedConfig.from_pretrained(config.path)
            cfg.pretrained_path = config.path
            if config.device:
                cfg.device = config.device
            self.model = get_policy_class(cfg.type).from_pretrained(config.path, config=cfg)
            self.model.eval()
            self.pre, self.post = make_pre_post_processors(cfg, pretrained_path=config.path)
        except Exception as exc:  # noqa: BLE001 - whatever a bad folder makes LeRobot raise: one line
            first = " ".join(str(exc).split())[:300]
            raise SettingsError(f"--policy.path={config.path}: not a loadable LeRobot policy "
                                f"({type(exc).__name__}: {first})") from None
        self.cfg = cfg
        self.name = cfg.type
        self.device = torch.device(cfg.device or "cpu")
        steps = getattr(cfg, "n_action_steps", None) or getattr(cfg, "chunk_size", None) or 1
        self.chunk_size = int(steps) if hasattr(self.model, "predict_action_chunk") else 1
        self._observation = {key: _feature(f) for key, f in cfg.input_features.items()}
        self._action = {key: _feature(f) for key, f in cfg.output_features.items()}

    @property
    def observation_features(self) -> Features:
        return self._observation

    @property
    def action_features(self) -> Features:
        return self._action

    def reset(self) -> None:
        self.model.reset()
        self.pre.reset()
        self.post.reset()

    def _batch(self, observation: Values) -> dict[str, Any]:
        from lerobot.policies.utils import prepare_observation_for_inference

        values = {key: np.asarray(value) for key, value in observation.items()}
        batch = prepare_observation_for_inference(values, self.device, self.config.task or None, None)
        return self.pre(batch)

    def predict_chunk(self, observation: Values) -> np.ndarray:
        with self._torch.inference_mode():
            chunk = self.model.predict_action_chunk(self._batch(observation))[:, : self.chunk_size]
            chunk = self.post(chunk)
        return chunk.squeeze(0).float().cpu().numpy()

    def select_action(self, observation: Values) -> np.ndarray:
        with self._torch.inference_mode():
            action = self.post(self.model.select_action(self._batch(observation)))
        return action.squeeze(0).float().cpu().numpy()
