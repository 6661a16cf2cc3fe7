"""Registers every LeRobot robot and teleoperator type with lerec (entry points ``lerec.robots`` /
``lerec.teleops``: ``lerobot``), under LeRobot's own names (``so101_follower``, ``gamepad``, ...).

The types are those LeRobot's draccus registry knows (``RobotConfig.get_known_choices()``) once every robot and
teleoperator module of LeRobot is imported, as ``lerobot-record`` imports them, plus LeRobot's own third-party
plugins (``lerobot_robot_*`` / ``lerobot_teleoperator_*`` distributions) and any config registered before lerec
asks. Importing LeRobot imports torch: the first robot command of a process takes a few seconds more.
"""

from __future__ import annotations

import functools
import importlib
import logging
import pkgutil

from lerec.plugins.hookspecs import hookimpl
from lerec.policies.types import PolicyType
from lerec.robots.types import RobotType, TeleopType

log = logging.getLogger(__name__)


@functools.cache
def lerobot_types(kind: str) -> dict[str, type]:
    """LeRobot's config classes of ``kind`` ("robot" or "teleop"), by type name."""
    try:
        from lerobot.utils.import_utils import register_third_party_plugins

        if kind == "robot":
            import lerobot.robots as package
            base = package.RobotConfig
        else:
            import lerobot.teleoperators as package
            base = package.TeleoperatorConfig
    except Exception as exc:  # a broken LeRobot must not take lerec's other robots down with it
        log.warning("lerec-lerobot: LeRobot cannot be imported (%s: %s); its %s types are not available",
                    type(exc).__name__, exc, kind)
        return {}
    for module in pkgutil.iter_modules(package.__path__):
        if module.ispkg:
            try:  # a type whose module needs a missing extra still leaves the others usable
                importlib.import_module(f"{package.__name__}.{module.name}")
            except Exception as exc:
                log.debug("LeRobot %s module %s not loaded: %s", kind, module.name, exc)
    register_third_party_plugins()
    return dict(sorted(base.get_known_choices().items()))


def _create_robot(options):
    from lerec_lerobot.devices import LeRobotRobot
    from lerec_lerobot.options import lerobot_config

    return LeRobotRobot(lerobot_config(options))


def _create_teleop(options):
    from lerec_lerobot.devices import LeRobotTeleop
    from lerec_lerobot.options import lerobot_config

    return LeRobotTeleop(lerobot_config(options))


def _types(kind: str, record: type, create) -> list:
    from lerec_lerobot.options import options_class

    return [record(name, options_class(cls), create, description=f"LeRobot {cls.__name__}")
            for name, cls in lerobot_types(kind).items()]


@hookimpl
def lerec_robot_types() -> list[RobotType]:
    return _types("robot", RobotType, _create_robot)


@hookimpl
def lerec_teleop_types() -> list[TeleopType]:
    return _types("teleop", TeleopType, _create_teleop)


def _create_policy(config):
    from lerec_lerobot.policy import LeRobotPolicy

    return LeRobotPolicy(config)


@hookimpl
def lerec_policy_types() -> list[PolicyType]:
    """Every LeRobot policy, loaded from its pretrained folder (``--policy.path``)."""
    from lerec_lerobot.policy import LeRobotPolicyConfig, loads_path

    return [PolicyType("lerobot", LeRobotPolicyConfig, _create_policy, loads_path=loads_path,
                       description="any LeRobot policy from a pretrained folder or Hub id (--policy.path)")]
