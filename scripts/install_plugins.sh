#!/usr/bin/env bash
# Install lerec's camera plugins (and the example third-party plugin) beside an installed lerec, idempotently.
#   scripts/install_plugins.sh [PYTHON]       PYTHON: the environment's interpreter (default: python3)
# System libraries first (apt-get, when missing): libusb-1.0-0 for pyrealsense2, libGL + glib for opencv-python.
# Then one `pip install` of every plugin, so pip resolves reachy2-sdk's pins (numpy<2.3, grpcio<=1.73.1,
# opencv-python<5) together with the others. Plugins are installed editable unless LEREC_PLUGINS_EDITABLE=0.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PY=${1:-${PYTHON:-python3}}

if ! "$PY" -c 'import lerec' 2>/dev/null; then
    echo "install lerec first (pip install -e $repo), into the environment of $PY" >&2
    exit 1
fi

# shellcheck source=scripts/apt_missing.sh
source "$repo/scripts/apt_missing.sh"
apt_install_missing libusb-1.0-0 libgl1 libglib2.0-0

targets=()
for dir in "$repo"/plugins/lerec-opencv "$repo"/plugins/lerec-realsense "$repo"/plugins/lerec-reachy2 \
           "$repo"/plugins/lerec-audio "$repo"/examples/camera-plugin; do
    if [ "${LEREC_PLUGINS_EDITABLE:-1}" = 1 ]; then targets+=(-e "$dir"); else targets+=("$dir"); fi
done
# lerec-audio: PortAudio for sounddevice; for its tests, a PulseAudio server they start (pacat plays into it, and
# PortAudio records it through ALSA's pulse device).
# shellcheck source=scripts/apt_missing.sh
source "$repo/scripts/apt_missing.sh"
apt_install_missing libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins
# Skip pip when these very plugin definitions are already installed here (editable installs follow the code).
stamp="$("$PY" -c 'import sys; print(sys.prefix)')/.lerec-plugins.sha256"
want=$(cat "$repo"/plugins/*/pyproject.toml "$repo"/examples/camera-plugin/pyproject.toml | sha256sum | cut -d' ' -f1)
want="$want ${LEREC_PLUGINS_EDITABLE:-1}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$PY" -m pip show -q lerec-opencv lerec-realsense \
        lerec-reachy2 lerec-audio lerec-example-camera 2>/dev/null; then
    "$PY" -m lerec cameras
    "$PY" -m lerec sensors
    exit 0
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
source "$repo/scripts/pip_progress.sh"
# opencv-python-headless would share cv2/ with opencv-python (which reachy2-sdk needs): keep one of them.
if "$PY" -m pip show -q opencv-python-headless 2>/dev/null; then
    "$PY" -m pip uninstall -q -y opencv-python-headless
fi
pip_install "$PY" "$(mktemp -t lerec-plugins-pip.XXXXXX)" "${targets[@]}"
echo "$want" > "$stamp"
"$PY" -m lerec cameras
"$PY" -m lerec sensors
