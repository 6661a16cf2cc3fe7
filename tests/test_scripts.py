"""The set-up scripts a new user runs first say what they are doing: a line per step and pip's progress, one line
per package it fetches (scripts/pip_progress.sh), and pip's own words when it fails."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FAKE_PIP = """#!/usr/bin/env bash
# Stands for "python -m pip install ...": prints what pip prints, exits with $FAKE_STATUS.
echo "Requirement already satisfied: numpy in ./lib"
echo "Collecting av>=15"
echo "  Downloading av-18.1.0.whl (40.1 MB)"
echo "Building wheels for collected packages: lerec"
echo "Installing collected packages: av, lerec"
echo "ERROR: No matching distribution found for nothing" >&2
echo "Successfully installed av-18.1.0 lerec-0.1.0"
exit ${FAKE_STATUS:-0}
"""


def pip_install(tmp_path, status: int) -> subprocess.CompletedProcess:
    fake = tmp_path / "python"
    fake.write_text(FAKE_PIP)
    fake.chmod(0o755)
    script = f'set -euo pipefail; source "{REPO}/scripts/pip_progress.sh"; pip_install "{fake}" "{tmp_path}/log" -e .'
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, env={"FAKE_STATUS": str(status),
                          "PATH": "/usr/bin:/bin"}, timeout=60)


def test_pip_shows_a_line_per_package_and_keeps_the_rest_in_its_log(tmp_path):
    done = pip_install(tmp_path, 0)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["  Collecting av>=15", "    Downloading av-18.1.0.whl (40.1 MB)",
                                        "  Building wheels for collected packages: lerec",
                                        "  Installing collected packages: av, lerec",
                                        "  Successfully installed av-18.1.0 lerec-0.1.0"]
    assert "Requirement already satisfied" in (tmp_path / "log").read_text()


def test_a_failing_pip_shows_the_end_of_its_output(tmp_path):
    done = pip_install(tmp_path, 1)
    assert done.returncode == 1
    assert "pip install failed" in done.stderr and "ERROR: No matching distribution found" in done.stderr


def test_every_step_of_the_set_up_is_announced():
    setup = (REPO / "scripts/setup.sh").read_text()
    assert "-q" not in setup.replace("-qq", "")  # pip's progress is shown, not hidden
    for step in range(1, 5):
        assert f"[setup {step}/4]" in setup
    assert "[demo] recording" in (REPO / "scripts/demo.sh").read_text()
