#!/usr/bin/env bash
# lerec beside LeRobot (issue 13 item 5), in LeRobot's own venv:
#   .ci/lerobot_check.sh VENV WORKDIR
# 1. `pip install -e .` of this clone must leave every package LeRobot installed at its version (av 15.x,
#    numpy < 2.3, torch ...); if it changed one, the cached venv is marked unbuilt (rebuilt next run) and this fails.
# 2. lerec records a dataset there (synthetic cameras), `lerec validate` passes, and scripts/check_lerobot_load.py
#    checks every frame LeRobotDataset returns against the camera frame the recorder sampled; the same dataset with
#    LeRobot's language columns added, merged, labelled (success, tags, notes), edited and filtered by label by
#    lerec, validates and loads too, LeRobot seeing the labels.
# 3. The core tests pass with LeRobot's av and numpy; the LeRobot bridge's tests too, where the plugin exists
#    (a small random ACT saved with save_pretrained drives the synthetic robot through `lerec rollout`).
# 4. When the venv has lerobot[training]: lerobot-train (ACT, 2 steps, CPU) on a teleoperated dataset and on a
#    dagger rollout (intervention, policy_action) that lerec recorded; the checkpoint then drives `lerec rollout`.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$1 work=$2
py=$venv/bin/python
mkdir -p "$work"
exec 9>"${venv%-*}.lock"  # the lock .ci/cached_venv.sh builds it under: one run at a time changes it
flock 9
export PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HUB_OFFLINE=1

# An earlier run's editable plugins (their clone may be gone) would load in every command below: this clone's only.
"$py" -m pip uninstall -q -y lerec-lerobot > /dev/null 2>&1 || true
"$py" -m pip freeze --exclude-editable | sort > "$work/before.txt"
"$py" -m pip install -q -e . > "$work/pip.log" 2>&1 || { cat "$work/pip.log" >&2; exit 1; }
"$py" -m pip freeze --exclude-editable | sort > "$work/after.txt"
# Packages whose version pip changed (new packages lerec needs may be added; none of LeRobot's may move).
changed=$("$py" - "$work/before.txt" "$work/after.txt" <<'EOF'
import sys
before, after = ({n: v for n, _, v in (l.strip().partition("==") for l in open(p)) if v} for p in sys.argv[1:])
print("\n".join(f"{name} {version} -> {after.get(name, 'removed')}" for name, version in before.items()
                if after.get(name) != version))
EOF
)
if [ -n "$changed" ]; then
    rm -f "$venv/.complete"
    echo "pip install lerec changed LeRobot's packages (the cached venv will be rebuilt next run):" >&2
    echo "$changed" >&2
    exit 1
fi
"$py" -c 'import av, lerec, lerobot, numpy, sys
print(f"lerec {lerec.__version__} beside lerobot {lerobot.__version__}: Python {sys.version.split()[0]}, "
      f"av {av.__version__}, numpy {numpy.__version__}")'

root=$work/datasets/lerec_ci
rm -rf "$work/datasets"
# With sensor streams beside the frames (lerec's own files: LeRobot must load the dataset unchanged).
"$venv/bin/lerec" record --dataset.root="$root" --dataset.num_episodes=2 --dataset.episode_time_s=2 \
    --sensors='{imu: {type: synthetic_imu, hz: 200}, mic: {type: synthetic_audio, sample_rate: 16000}}' | tail -3
"$venv/bin/lerec" validate "$root"
"$py" scripts/check_lerobot_load.py "$root"
# Columns lerec does not write (LeRobot's language annotations, a user's episode column) survive merge and delete,
# and LeRobot still loads the results.
cp -r "$root" "$work/datasets/annotated"
"$py" scripts/add_language_columns.py "$work/datasets/annotated"
"$venv/bin/lerec" merge "$work/datasets/annotated" "$work/datasets/annotated" --output "$work/datasets/merged" | tail -1
"$venv/bin/lerec" label "$work/datasets/merged" --episodes 0,2 --success true --tags ci,labelled --notes "from CI"
"$venv/bin/lerec" label "$work/datasets/merged" --episodes 1 --success false
"$venv/bin/lerec" edit "$work/datasets/merged" --output "$work/datasets/deleted" delete --episodes 0 | tail -1
"$venv/bin/lerec" edit "$work/datasets/merged" --output "$work/datasets/filtered" filter --success true | tail -1
for out in merged deleted filtered; do
    "$venv/bin/lerec" validate "$work/datasets/$out"
    "$py" scripts/check_lerobot_load.py "$work/datasets/$out"
done

"$py" -m pytest -x -q -p no:cacheprovider tests
if [ -d plugins/lerec-lerobot/tests ]; then
    "$py" -m pip install -q -e plugins/lerec-lerobot > "$work/pip.log" 2>&1 || { cat "$work/pip.log" >&2; exit 1; }
    "$py" -m pytest -x -q -p no:cacheprovider plugins/lerec-lerobot/tests
fi

if "$py" -c 'import accelerate' 2>/dev/null; then
    "$venv/bin/lerec" rollout --policy.type=scripted --strategy.type=dagger --dataset.root="$work/datasets/dagger" \
        --dataset.repo_id=lerec/rollout_dagger --dataset.num_episodes=2 --dataset.episode_time_s=1 | tail -1
    for name in lerec_ci dagger; do
        rm -rf "$work/train-$name"
        (cd "$work" && "$py" -m lerobot.scripts.lerobot_train --dataset.repo_id="lerec/$name" --dataset.root="$work/datasets/$name" \
            --policy.type=act --policy.device=cpu --policy.push_to_hub=false --policy.pretrained_backbone_weights=null \
            --policy.dim_model=32 --policy.n_heads=2 --policy.dim_feedforward=64 --policy.chunk_size=10 \
            --policy.n_action_steps=10 --steps=2 --batch_size=2 --num_workers=0 --save_freq=2 --wandb.enable=false \
            --output_dir="$work/train-$name" > "$work/train-$name.log" 2>&1) || { tail -20 "$work/train-$name.log" >&2; exit 1; }
        ls "$work/train-$name/checkpoints" | grep -q . || { echo "lerobot-train saved no checkpoint for $name" >&2; exit 1; }
        echo "lerobot-train: 2 steps of ACT on $name, checkpoint saved"
    done
    # The loop closed: the policy trained on lerec's rollout drives the robot again through --policy.path.
    "$venv/bin/lerec" rollout --policy.path="$work/train-dagger/checkpoints/last/pretrained_model" \
        --dataset.root="$work/datasets/again" --dataset.episode_time_s=1 | tail -1
    "$py" scripts/check_lerobot_load.py "$work/datasets/again"
else
    echo "lerobot-train skipped: the LeRobot venv has no lerobot[training] (add it to .ci/lerobot-requirements.txt)"
fi
