#!/usr/bin/env bash
# The LeRobot bridge's tests (plugins/lerec-lerobot/tests) in LeRobot's environment, without changing it:
#   scripts/test_lerobot_bridge.sh [LEROBOT_VENV] [pytest args...]
# LEROBOT_VENV: a Python >= 3.12 venv with lerobot[dataset] 0.6 (default: the newest complete
# ~/.cache/lerec-ci/lerobot-*/ that CI caches). An overlay venv (.venv-lerobot, made once) sees LeRobot's packages
# through a .pth file and holds only lerec and lerec-lerobot (editable) and whatever small package lerec needs
# that LeRobot's venv lacks; LeRobot's venv itself is never written to.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${LEREC_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lerec-ci}
lerobot_venv=${1:-}
[ $# -gt 0 ] && shift
if [ -z "$lerobot_venv" ]; then
    lerobot_venv=$(ls -td "$cache"/lerobot-*/ 2>/dev/null | while read -r d; do
        [ -f "$d/.complete" ] && { echo "${d%/}"; break; }; done)
fi
[ -n "$lerobot_venv" ] && [ -x "$lerobot_venv/bin/python" ] || {
    echo "no LeRobot venv: pass one (a venv with lerobot[dataset]==0.6.1), or let .ci/run build $cache/lerobot-*" >&2
    exit 1
}
site=$("$lerobot_venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
base=$("$lerobot_venv/bin/python" -c 'import sys; print(sys._base_executable)')
overlay=${LEREC_LEROBOT_OVERLAY:-.venv-lerobot}
export PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HUB_OFFLINE=1 LEREC_KEYBOARD=off
if [ ! -x "$overlay/bin/python" ]; then
    "$base" -m venv "$overlay"
fi
echo "$site" > "$("$overlay/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/lerobot_venv.pth"
# pip sees LeRobot's packages through the .pth: it adds only what is missing, into the overlay. Editable installs
# follow the code: pip runs again only when a pyproject changed (a new dependency) since the last run.
stamp=$overlay/.lerec-lerobot.sha256
want=$(cat pyproject.toml plugins/lerec-lerobot/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$overlay/bin/python" -m pip install -q -e . -e plugins/lerec-lerobot
    echo "$want" > "$stamp"
fi
"$overlay/bin/python" -c 'import av, lerec, lerec_lerobot, lerobot, numpy, sys
print(f"lerec {lerec.__version__} ({lerec.__file__}) + lerec-lerobot beside lerobot {lerobot.__version__} "
      f"({lerobot.__file__}): Python {sys.version.split()[0]}, av {av.__version__}, numpy {numpy.__version__}")'
exec "$overlay/bin/python" -m pytest -q -p no:cacheprovider plugins/lerec-lerobot/tests "$@"
