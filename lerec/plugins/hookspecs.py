"""The whole contract of a lerec plugin: one hook per device kind.

A plugin is a module with ``@hookimpl`` functions, listed under the entry-point group of each kind it provides::

    [project.entry-points."lerec.cameras"]
    mycam = "mycam_lerec.plugin"          # implements lerec_camera_types
    [project.entry-points."lerec.robots"]
    myarm = "myarm_lerec.plugin"          # implements lerec_robot_types
    [project.entry-points."lerec.teleops"]
    myarm = "myarm_lerec.plugin"          # the same module may implement several hooks
    [project.entry-points."lerec.sensors"]
    mymic = "mymic_lerec.plugin"          # implements lerec_sensor_types
    [project.entry-points."lerec.policies"]
    mypolicy = "mypolicy_lerec.plugin"    # implements lerec_policy_types

lerec's own ``synthetic`` camera, robot and teleoperator, and its ``synthetic_imu`` and ``synthetic_audio``
sensors, are registered the same way. Every hook is called once,
when lerec first needs that kind's registry; it must not touch hardware (it runs for ``lerec --help`` too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from lerec.cameras.registry_types import CameraType
    from lerec.policies.types import PolicyType
    from lerec.robots.types import RobotType, TeleopType
    from lerec.sensors.registry_types import SensorType

PROJECT = "lerec"
ENTRY_POINT_GROUPS = ("lerec.cameras", "lerec.robots", "lerec.teleops", "lerec.sensors", "lerec.policies")

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def lerec_camera_types() -> list[CameraType]:
    """Return the camera types this plugin provides.

    Each :class:`~lerec.cameras.registry_types.CameraType` names the ``type`` users write in ``--cameras``, the
    attrs config class built from the user's options, a factory that turns a config into a
    :class:`lerec.cameras.base.Camera`, and optionally a ``find`` function listing connected devices.
    """


@hookspec
def lerec_robot_types() -> list[RobotType]:
    """Return the robot types this plugin provides.

    Each :class:`~lerec.robots.types.RobotType` names the ``type`` users write in ``--robot``, its attrs config
    class, a factory turning a config into a :class:`lerec.robots.base.Robot`, and optionally ``find``.
    """


@hookspec
def lerec_teleop_types() -> list[TeleopType]:
    """Return the teleoperator types this plugin provides (``--teleop``), as :func:`lerec_robot_types` does for
    robots; the factory returns a :class:`lerec.robots.base.Teleop`."""


@hookspec
def lerec_sensor_types() -> list[SensorType]:
    """Return the sensor types this plugin provides (``--sensors``: IMUs, microphones, force/torque sensors).

    Each :class:`~lerec.sensors.registry_types.SensorType` names the ``type`` users write in ``--sensors``, its
    attrs config class, a factory turning a config into a :class:`lerec.sensors.base.Sensor` (batches of samples
    with their capture times, at the sensor's own rate) and optionally ``find`` listing connected devices.
    """


@hookspec
def lerec_policy_types() -> list[PolicyType]:
    """Return the policy types this plugin provides (``--policy.type``): each
    :class:`~lerec.policies.types.PolicyType` names the type, its attrs config class and a factory returning a
    :class:`lerec.policies.base.Policy`. The factory may load weights (it runs once per session, before the robot
    opens); the hook itself must not.
    """
