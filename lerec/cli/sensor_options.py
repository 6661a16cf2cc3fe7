"""``--sensors`` as users write it: YAML or JSON inline, or a file holding it (as ``--cameras``)."""

from __future__ import annotations

from typing import Any

from lerec.cli.camera_options import load_mapping
from lerec.errors import SettingsError
from lerec.sensors.registry import build_sensor_config, check_sensor_name

EXAMPLE = "{imu: {type: synthetic_imu, hz: 200}, mic: {type: synthetic_audio, sample_rate: 16000}}"


def parse_sensors(text: str | None) -> dict[str, Any]:
    """Sensor configs by name from ``{name: {type: ..., option: value}}`` text, or a path to a YAML/JSON file
    (also as ``@path``); none for None."""
    if text is None:
        return {}
    sensors = {}
    for name, options in load_mapping(text, "--sensors", "sensor", EXAMPLE).items():
        check_sensor_name(name, "--sensors")
        if not isinstance(options, dict) or "type" not in options:
            raise SettingsError(f"--sensors: sensor {name!r} needs a 'type' (e.g. {{type: synthetic_imu}}), "
                                f"got {options!r}")
        options = dict(options)
        try:
            sensors[name] = build_sensor_config(str(options.pop("type")), options)
        except SettingsError as exc:
            raise SettingsError(f"--sensors: sensor {name!r}: {exc}") from None
    return sensors
