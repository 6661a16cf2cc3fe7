import os
import subprocess
import sys

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


def test_a_plugin_that_cannot_be_loaded_is_named_and_left_out(tmp_path):
    """A distribution whose entry point names a module that is gone (uninstalled by hand, a clone moved away from
    an editable install): lerec warns once, naming it, and the other types still work."""
    info = tmp_path / "lerec_gone-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lerec-gone\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[lerec.cameras]\ngone = lerec_gone_module.plugin\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "lerec", "cameras"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "synthetic" in done.stdout
    warnings = [line for line in done.stderr.splitlines() if "lerec-gone" in line]
    assert len(warnings) == 1 and "cannot be loaded" in warnings[0] and "ModuleNotFoundError" in warnings[0]
    assert "pip uninstall lerec-gone" in warnings[0] and "Traceback" not in done.stderr
