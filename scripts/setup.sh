#!/usr/bin/env bash
# Install lerec, its camera plugins and the test tools into ./.venv (idempotent).
# System packages the plugins need (libusb for pyrealsense2) are installed with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "lerec needs Python >= 3.11 (found: $("$PY" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv || { echo "could not create .venv: install your Python's venv module (Debian: python3-venv)" >&2; exit 1; }
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,view]"
if [ -f scripts/install_plugins.sh ]; then
    bash scripts/install_plugins.sh .venv/bin/python
fi
echo "lerec installed in .venv ($(.venv/bin/python -c 'import lerec; print(lerec.__version__)'))"
