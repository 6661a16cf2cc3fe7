import pytest

from lerec.cameras import build_camera_config, camera_types
from lerec.cameras.synthetic import SyntheticCameraConfig
from lerec.errors import LerecError


def test_synthetic_camera_registers_through_the_entry_point():
    registered = camera_types()["synthetic"]
    assert registered.distribution == "lerec"
    assert registered.type.config_class is SyntheticCameraConfig


def test_unknown_type_lists_what_is_installed():
    with pytest.raises(LerecError, match=r"unknown camera type 'nope'; installed: .*synthetic"):
        build_camera_config("nope", {})


def test_unknown_option_names_it_and_the_valid_ones():
    with pytest.raises(LerecError, match=r"no option 'widht'.*width"):
        build_camera_config("synthetic", {"widht": 10})


def test_bad_value_is_reported_with_the_type():
    with pytest.raises(LerecError, match=r"camera type 'synthetic': width must be an integer from 1 to 8192, got 0"):
        build_camera_config("synthetic", {"width": 0})
