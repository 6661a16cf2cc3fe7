#!/usr/bin/env bash
# Set everything up, then record a demo dataset (no hardware) into demo_data/: the synthetic robot driven by the
# synthetic teleop (observation.state, action) and two synthetic cameras, `lerec record`'s defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf demo_data/lerec_demo
echo "[demo] recording 2 episodes of 5 s into demo_data/lerec_demo (synthetic robot, teleop and 2 cameras)"
.venv/bin/lerec record --dataset.root=demo_data/lerec_demo --dataset.num_episodes=2 --dataset.episode_time_s=5 "$@"
if .venv/bin/lerec info --help >/dev/null 2>&1; then .venv/bin/lerec info demo_data/lerec_demo; fi
