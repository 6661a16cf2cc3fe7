"""lerec robot and teleop plugin for LeRobot 0.6: every type LeRobot registers (``--robot.type=so101_follower``).

Devices are built by LeRobot itself (its config classes and ``make_robot_from_config`` /
``make_teleoperator_from_config``); features are grouped as ``lerobot-record`` groups them; the robot's own
cameras are replaced by lerec cameras (``--cameras``).
"""

__all__ = ["LeRobotRobot", "LeRobotTeleop"]


def __getattr__(name: str):
    # Lazy: lerec loads lerec_lerobot.plugin for every command, and importing LeRobot imports torch.
    if name in __all__:
        from lerec_lerobot import devices

        return getattr(devices, name)
    raise AttributeError(f"module 'lerec_lerobot' has no attribute {name!r}")
