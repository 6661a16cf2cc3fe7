#!/usr/bin/env bash
# Set everything up, then run the whole test suite: the core and every plugin, on real encoders and SDKs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
paths=(tests)
for dir in plugins/*/tests examples/*/tests; do
    [ -d "$dir" ] && paths+=("$dir")
done
exec .venv/bin/python -m pytest -q "${paths[@]}" "$@"
