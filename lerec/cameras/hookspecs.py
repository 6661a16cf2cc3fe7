"""The whole contract of a lerec camera plugin.

A plugin is a module with ``@hookimpl`` functions, registered under the entry-point group ``lerec.cameras``::

    [project.entry-points."lerec.cameras"]
    mycam = "mycam_lerec.plugin"

lerec's own ``synthetic`` camera is registered the same way.
"""

from __future__ import annotations

import pluggy

from lerec.cameras.registry_types import CameraType

PROJECT = "lerec"
ENTRY_POINT_GROUP = "lerec.cameras"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def lerec_camera_types() -> list[CameraType]:
    """Return the camera types this plugin provides.

    Called once when lerec first needs the camera registry. Each :class:`CameraType` names the ``type`` users
    write in ``--cameras``, the attrs config class built from the user's options, a factory that turns a
    config into a :class:`lerec.cameras.base.Camera`, and optionally a ``find`` function listing connected
    devices. Must not touch hardware.
    """
