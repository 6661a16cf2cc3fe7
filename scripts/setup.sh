#!/usr/bin/env bash
# Install lerec, its camera plugins and the test tools into ./.venv (idempotent).
# System packages the plugins need (libusb for pyrealsense2) and the web app's browser tests need (chromium and its
# version-locked chromium-driver) are installed with apt-get when missing (LEREC_BROWSER=0: no browser).
# For CI's matrix (all optional): PYTHON=/path/to/python3.x, LEREC_VENV=DIR (instead of ./.venv),
# LEREC_AV='av==15.1.0' (an av requirement within pyproject's range), LEREC_PLUGINS=0 (lerec alone, no plugins).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${LEREC_VENV:-.venv}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "lerec needs Python >= 3.11 (found: $("$PY" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
    exit 1
fi
source scripts/pip_progress.sh
if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup 1/4] creating the virtual environment $VENV"
    "$PY" -m venv "$VENV" || { echo "could not create $VENV: install your Python's venv module (Debian: python3-venv)" >&2; exit 1; }
else
    echo "[setup 1/4] using the virtual environment $VENV"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
echo "[setup 2/4] updating pip in $VENV"
pip_install "$VENV/bin/python" "$VENV/pip-install.log" --upgrade pip
if [ "${LEREC_BROWSER:-1}" = 1 ] && ! command -v chromedriver >/dev/null; then
    echo "[setup 2/4] installing chromium and chromium-driver (the web app's browser tests) with apt-get"
    # shellcheck source=scripts/apt_missing.sh
    source scripts/apt_missing.sh
    apt_install_missing chromium chromium-driver || echo "warning: no chromium: the browser tests will skip" >&2
fi
echo "[setup 3/4] installing lerec and its extras (test, view, scale, web, hub): a minute or two the first time"
pip_install "$VENV/bin/python" "$VENV/pip-install.log" -e ".[test,view,scale,web,hub]" ${LEREC_AV:+"$LEREC_AV"}
if [ "${LEREC_PLUGINS:-1}" = 1 ] && [ -f scripts/install_plugins.sh ]; then
    echo "[setup 4/4] installing the camera plugins (opencv, realsense, reachy2, the example)"
    bash scripts/install_plugins.sh "$VENV/bin/python"
fi
echo "lerec installed in $VENV ($("$VENV/bin/python" -c 'import av, lerec, sys
print(lerec.__version__, "on Python", sys.version.split()[0], "with av", av.__version__)'))"
