"""``--cameras`` as users write it: YAML or JSON inline, or a file holding it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lerec.cameras.options import check_camera_name
from lerec.cameras.registry import build_camera_config
from lerec.cli.yaml_text import load_yaml, read_text_file
from lerec.errors import SettingsError
from lerec.recording.settings import check_seconds

DEFAULT_CAMERAS = "{front: {type: synthetic, width: 640, height: 480, fps: 30}, wrist: {type: synthetic, width: 640, height: 480, fps: 30}}"


# Options every camera takes, whatever its type: they set how the recorder treats it, not the camera.
RECORDER_OPTIONS = ("max_frame_age_s",)


def parse_cameras(text: str) -> dict[str, Any]:
    """Camera configs by name from ``{name: {type: ..., option: value}}`` text, or a path to a YAML/JSON file
    (also as ``@path``)."""
    return parse_camera_settings(text)[0]


def load_mapping(text: str, flag: str, what: str, example: str) -> dict[Any, Any]:
    """The ``{name: options}`` mapping of a device flag (``--cameras``, ``--sensors``): inline YAML/JSON, or a
    YAML/JSON file (also as ``@path``)."""
    source = text[1:] if text.startswith("@") else text
    path = Path(source)
    if source and "{" not in source and path.is_file():
        source = read_text_file(path, flag)
    elif source and (text.startswith("@") or ("{" not in source and ":" not in source)):
        # No mapping syntax, so a file name (inline YAML always has a ``name: options`` colon).
        state = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise SettingsError(f"{flag}={text}: file {source} {state}; give a YAML/JSON file or inline "
                            f"YAML/JSON such as {example}")
    spec = load_yaml(source, flag, top_level_key=what)
    if not isinstance(spec, dict) or not spec:
        raise SettingsError(f"{flag} must map {what} names to options, e.g. {example}; got {text!r}")
    return spec


def parse_camera_settings(text: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Camera configs by name, and by name the :data:`RECORDER_OPTIONS` given for each camera."""
    spec = load_mapping(text, "--cameras", "camera", DEFAULT_CAMERAS)
    cameras, recorder_options = {}, {}
    for name, options in spec.items():
        check_camera_name(name, "--cameras")
        if not isinstance(options, dict) or "type" not in options:
            raise SettingsError(
                f"--cameras: camera {name!r} needs a 'type' (e.g. {{type: synthetic}}), got {options!r}")
        options = dict(options)
        recorder_options[name] = {key: options.pop(key) for key in RECORDER_OPTIONS if key in options}
        if "max_frame_age_s" in recorder_options[name]:
            check_seconds(recorder_options[name]["max_frame_age_s"], f"--cameras: camera {name!r}: max_frame_age_s",
                          above_zero=True)
        try:
            cameras[name] = build_camera_config(str(options.pop("type")), options)
        except SettingsError as exc:
            raise SettingsError(f"--cameras: camera {name!r}: {exc}") from None
    return cameras, recorder_options
