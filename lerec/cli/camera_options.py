"""``--cameras`` as users write it: YAML or JSON inline, or a file holding it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lerec.cameras.registry import build_camera_config
from lerec.errors import LerecError

DEFAULT_CAMERAS = "{front: {type: synthetic, width: 640, height: 480, fps: 30}, wrist: {type: synthetic, width: 640, height: 480, fps: 30}}"


def parse_cameras(text: str) -> dict[str, Any]:
    """Camera configs by name from ``{name: {type: ..., option: value}}`` text, or a path to a YAML/JSON file
    (also as ``@path``)."""
    source = text[1:] if text.startswith("@") else text
    path = Path(source)
    if source and "{" not in source and path.is_file():
        source = path.read_text()
    elif source and (text.startswith("@") or ("{" not in source and ":" not in source)):
        # No mapping syntax, so a file name (inline YAML always has a ``name: options`` colon).
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise LerecError(f"--cameras={text}: file {source} {what}; give a YAML/JSON file or inline "
                         f"YAML/JSON such as {DEFAULT_CAMERAS}")
    try:
        spec = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        raise LerecError(f"--cameras is not valid YAML/JSON: {exc}") from None
    if not isinstance(spec, dict) or not spec:
        raise LerecError(f"--cameras must map camera names to options, e.g. {DEFAULT_CAMERAS}; got {text!r}")
    cameras = {}
    for name, options in spec.items():
        if not isinstance(options, dict) or "type" not in options:
            raise LerecError(f"camera {name!r}: needs a 'type' (e.g. {{type: synthetic}}), got {options!r}")
        options = dict(options)
        cameras[str(name)] = build_camera_config(str(options.pop("type")), options)
    return cameras
