#!/usr/bin/env bash
# Install lerec, its camera plugins and the test tools into ./.venv (idempotent).
# System packages the plugins need (libusb for pyrealsense2) are installed with apt-get when missing.
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
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV" || { echo "could not create $VENV: install your Python's venv module (Debian: python3-venv)" >&2; exit 1; }
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[test,view,scale]" ${LEREC_AV:+"$LEREC_AV"}
if [ "${LEREC_PLUGINS:-1}" = 1 ] && [ -f scripts/install_plugins.sh ]; then
    bash scripts/install_plugins.sh "$VENV/bin/python"
fi
echo "lerec installed in $VENV ($("$VENV/bin/python" -c 'import av, lerec, sys
print(lerec.__version__, "on Python", sys.version.split()[0], "with av", av.__version__)'))"
