"""The camera hook of lerec's plugin contract; the whole contract lives in :mod:`lerec.plugins.hookspecs`.

A camera plugin is a module with ``@hookimpl`` functions, registered under the entry-point group ``lerec.cameras``::

    [project.entry-points."lerec.cameras"]
    mycam = "mycam_lerec.plugin"

lerec's own ``synthetic`` camera is registered the same way.
"""

from lerec.plugins.hookspecs import PROJECT, hookimpl, hookspec, lerec_camera_types

ENTRY_POINT_GROUP = "lerec.cameras"

__all__ = ["ENTRY_POINT_GROUP", "PROJECT", "hookimpl", "hookspec", "lerec_camera_types"]
