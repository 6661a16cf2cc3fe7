"""Sensor types discovered through pluggy from the ``lerec.sensors`` entry-point group (:mod:`lerec.plugins`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from lerec.errors import SettingsError
from lerec.plugins.manager import Provided, build_config, named_type, provided, type_of_config
from lerec.sensors.base import Sensor
from lerec.sensors.registry_types import SensorType

SENSOR_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@functools.cache
def sensor_types() -> dict[str, Provided]:
    """Every sensor type installed, by name."""
    return provided("lerec_sensor_types", "sensor")


def get_sensor_type(type_name: str) -> SensorType:
    """The sensor type called ``type_name``, or a SettingsError listing the installed ones."""
    return named_type(sensor_types(), type_name, "sensor",
                      "sensor plugins are installed as Python packages, e.g. `pip install ./plugins/lerec-audio`")


def check_sensor_name(name: Any, option: str = "sensors") -> str:
    """A sensor name becomes part of a key and of file paths: letters, digits, '_' and '-' only."""
    if not isinstance(name, str) or not SENSOR_NAME.match(name):
        raise SettingsError(f"{option}: sensor name {name!r} is not allowed; use 1 to 64 letters, digits, '_' or "
                            "'-' (e.g. 'imu')")
    return name


def build_sensor_config(type_name: str, options: Mapping[str, Any]) -> Any:
    """Build a sensor type's config from user options, with errors naming the bad option."""
    return build_config(get_sensor_type(type_name).config_class, dict(options), f"sensor type {type_name!r}")


def sensor_type_of(config: Any) -> SensorType:
    """The registered sensor type whose config class ``config`` is an instance of."""
    return type_of_config(sensor_types(), config, "sensor")


def create_sensor(name: str, config: Any) -> Sensor:
    """Create the sensor ``name`` from a config object of any installed sensor type."""
    return sensor_type_of(config).create(name, config)
