#!/usr/bin/env bash
# The CPU setting of the RL experiment: the cue-recall memory task (one of 4 cues shown
# at the first step, to be named after DELAY empty steps; chance = 1/4), one IMPALA
# agent per core with a small network, each trained TOTAL_STEPS agent steps on 32
# environments in the learner's process, once per seed, then 1000 greedy episodes.
# Prints the table (success rate, steps to 90% training success, time) and writes
# OUT_DIR/table.md and OUT_DIR/learning_curves.png (runs in OUT_DIR/CORE/seedN).
# Re-running resumes finished or interrupted runs.
#
#   bash recipes/rl/memory.sh OUT_DIR [CORE ...]
#
# Default cores: all (python -m fwp_plugin.model_names models --family rl).
# Settings (environment variables): TOTAL_STEPS (1000000), DELAY (8), SEEDS ("1 2 3").
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
OUT=$1
shift
CORES=("$@")
PYTHON=${PYTHON:-python}
[ ${#CORES[@]} -gt 0 ] || CORES=($("$PYTHON" -m fwp_plugin.model_names models --family rl))
TOTAL_STEPS=${TOTAL_STEPS:-1000000}
DELAY=${DELAY:-8}
SEEDS=${SEEDS:-1 2 3}

RUNS=()
for core in "${CORES[@]}"; do
  for seed in $SEEDS; do
    echo "== run $(( ${#RUNS[@]} + 1 ))/$(( ${#CORES[@]} * $(wc -w <<< "$SEEDS") )): $core, seed $seed"
    RUNS+=("$OUT/$core/seed$seed")
    "$PYTHON" -m fwp_plugin.rl.train --env cue_recall --delay "$DELAY" --num-cues 4 --core "$core" \
      --save-dir "$OUT/$core/seed$seed" --seed "$seed" --total-steps "$TOTAL_STEPS" \
      --envs-per-actor 32 --unroll-length 20 --learning-rate 3e-3 \
      --torso-dim 64 --core-dim 64 --core-heads 4 --core-ffn-dim 128 --lstm-dim 64 \
      --checkpoint-every 200000 --keep-checkpoints-at --log-every 30 --eval-episodes 1000
  done
done
"$PYTHON" -m fwp_plugin.rl.collect "${RUNS[@]}" --table "$OUT/table.md" --figure "$OUT/learning_curves.png"
