"""lerec robot and teleop plugin for LeRobot 0.6: every type LeRobot registers (``--robot.type=so101_follower``).

Devices are built by LeRobot itself (its config classes and ``make_robot_from_config`` /
``make_teleoperator_from_config``); features are grouped as ``lerobot-record`` groups them; the robot's own
cameras are replaced by lerec cameras (``--cameras``).
"""

from lerec_lerobot.devices import LeRobotRobot, LeRobotTeleop

__all__ = ["LeRobotRobot", "LeRobotTeleop"]
