"""`lerec cameras`: installed types with their distribution, `--find` entries, a third-party plugin found."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
import yaml

from lerec.cameras.registry import build_camera_config, camera_types
from lerec.cameras.synthetic import SyntheticCameraConfig
from lerec.cameras.registry_types import FoundCamera
from lerec.cli import main
from lerec.cli.cameras import cameras_entry, options_text

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "camera-plugin"


def test_lists_synthetic_with_its_distribution(capsys):
    assert main(["cameras"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["TYPE", "DISTRIBUTION", "DESCRIPTION"]
    synthetic = next(line for line in lines if line.startswith("synthetic "))
    assert synthetic.split()[1] == "lerec"


def test_find_reports_types_that_cannot_list_devices(capsys):
    assert main(["cameras", "--find", "--type", "synthetic"]) == 0
    assert capsys.readouterr().out.strip() == "# synthetic (lerec): cannot list devices"


def test_unknown_type_is_an_error_naming_it(capsys):
    assert main(["cameras", "--find", "--type", "nosuchcam"]) == 2  # a usage error (docs/cli.md)
    assert "nosuchcam" in capsys.readouterr().err


def test_cameras_entry_parses_back_into_a_valid_config():
    entry = cameras_entry("cam", "synthetic", FoundCamera("a camera", {"width": 64, "height": 48, "depth": True}))
    assert entry == "cam: {type: synthetic, width: 64, height: 48, depth: true}"
    options = yaml.safe_load("{" + entry + "}")["cam"]
    config = build_camera_config(options.pop("type"), options)
    assert (config.width, config.height, config.depth) == (64, 48, True)


def _can_build_without_isolation() -> bool:
    """Whether the local setuptools builds wheels (>= 70.1, or older with `wheel`): then pip needs no network."""
    try:
        import setuptools
    except ImportError:
        return False
    version = tuple(int(part) for part in setuptools.__version__.split(".")[:2])
    return version >= (70, 1) or (version >= (61, 0) and importlib.util.find_spec("wheel") is not None)


@pytest.fixture(scope="module")
def example_plugin_path(tmp_path_factory) -> Path:
    """A directory to put on PYTHONPATH that makes the example plugin installed: the plugin pip-installed there,
    or nothing when scripts/install_plugins.sh already installed it into this environment."""
    target = tmp_path_factory.mktemp("example-plugin")
    try:
        importlib.metadata.distribution("lerec-example-camera")
        return target
    except importlib.metadata.PackageNotFoundError:
        pass
    isolation = ["--no-build-isolation"] if _can_build_without_isolation() else []
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", *isolation, "--target", str(target), str(EXAMPLE)],
        check=True,
        capture_output=True,
    )
    return target


def _lerec(plugin_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_path), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "lerec", *args], env=env, capture_output=True, text=True, check=False, timeout=60
    )


def test_finds_a_camera_type_it_never_heard_of(example_plugin_path):
    result = _lerec(example_plugin_path, "cameras")
    assert result.returncode == 0, result.stderr
    stripes = next(line for line in result.stdout.splitlines() if line.startswith("stripes "))
    assert stripes.split()[1:3] == ["lerec-example-camera", "0.1.0"]
    assert any(line.startswith("synthetic ") for line in result.stdout.splitlines())


def test_find_prints_the_entry_to_paste_into_cameras(example_plugin_path):
    result = _lerec(example_plugin_path, "cameras", "--find", "--type", "stripes")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "# stripes (lerec-example-camera): 1 found",
        "#   stripes (a camera drawn in numpy, always there)",
        "  stripes_0: {type: stripes, width: 320, height: 240}",
    ]


def test_example_camera_passes_the_contract_check(example_plugin_path):
    script = (
        "import anyio\n"
        "from lerec.cameras import build_camera_config, create_camera\n"
        "from lerec.testing import check_camera\n"
        "camera = create_camera('wall', build_camera_config('stripes', {'width': 32, 'height': 8, 'fps': 200}))\n"
        "frames = anyio.run(check_camera, camera, 4)['color']\n"
        "print([int(f.data[0, :, 0].argmin()) for f in frames])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(example_plugin_path)}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # the first black column moves one pixel left per frame: 8, 7, 6, 5 with period 16
    assert result.stdout.strip() == "[8, 7, 6, 5]"


def test_options_lists_every_field_of_the_config_class(capsys):
    assert main(["cameras", "--options", "synthetic"]) == 0
    out = capsys.readouterr().out
    for field in attrs.fields(SyntheticCameraConfig):
        assert re.search(rf"^  {field.name} +\S", out, re.M), field.name
    assert re.search(r"^  width +int +640 +frame width in pixels$", out, re.M)


def test_docs_camera_options_match_the_code():
    docs = (Path(__file__).parents[1] / "docs/cameras.md").read_text()
    for name, reg in camera_types().items():
        if name in ("synthetic", "opencv", "realsense", "reachy2"):
            assert f"```\n{options_text(name, reg)}\n```" in docs, f"docs/cameras.md: regenerate {name}"
