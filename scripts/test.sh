#!/usr/bin/env bash
# Set everything up, then run the whole test suite: the core and every plugin, on real encoders and SDKs.
set -euo pipefail
cd "$(dirname "$0")/.."
# The set-up's output is checked: setuptools' deprecation banners (a license as a TOML table) must stay gone.
setup_log=$(mktemp)
trap 'rm -f "$setup_log"' EXIT
bash scripts/setup.sh 2>&1 | tee "$setup_log"
if grep -q "TOML table is deprecated" "$setup_log"; then
    echo "scripts/setup.sh printed setuptools' license deprecation banner: use license = \"SPDX\" in every pyproject" >&2
    exit 1
fi
paths=(tests)
for dir in plugins/*/tests examples/*/tests; do
    [ -d "$dir" ] && paths+=("$dir")
done
.venv/bin/python -m pytest -q "${paths[@]}" "$@"
