#!/usr/bin/env bash
# The paper's Atari setting: IMPALA (V-trace) agents whose LSTM is replaced by a fast-weight
# core, trained on each GAME x CORE for 200M agent steps (800M frames) with the published
# hyper-parameters (RMSprop 6e-4 decaying linearly to 0, eps 0.01, batch 32 x unroll 50,
# gradient norm 40, entropy 0.01, baseline 0.5, discount 0.99, rewards clipped to [-1, 1]),
# checkpoints kept at 50M steps; then each network is evaluated greedily on 30 whole games
# at 50M and at the end, and the table (returns, human-normalised scores) is printed and
# written to OUT_DIR/table.md, the learning curves to OUT_DIR/learning_curves.png.
# Re-running the same command resumes unfinished runs.
#
#   bash recipes/rl/atari.sh OUT_DIR --games "Pong Breakout" --cores "lstm delta_net rdn" [options]
#
# Options: --games (NoFrameskip-v4 names or ALE ROM names), --cores (feedforward lstm
# linear_transformer delta_net delta_rnn delta_lstm rdn), --actors K (actor processes, default 8; each steps 32
# games and each update takes one actor's 32 unrolls, asynchronously), --device (cuda when
# available, else cpu), --total-steps (200000000), --episodes (30); anything after -- goes
# to fwp_plugin.rl.train.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
OUT=$1
shift
GAMES="" CORES="" ACTORS=8 TOTAL_STEPS=200000000 EPISODES=30 DEVICE="" EXTRA=()
while [ $# -gt 0 ]; do
  case $1 in
    --games) take_value GAMES "$@"; shift 2 ;;
    --cores) take_value CORES "$@"; shift 2 ;;
    --actors) take_value ACTORS "$@"; shift 2 ;;
    --device) take_value DEVICE "$@"; shift 2 ;;
    --total-steps) take_value TOTAL_STEPS "$@"; shift 2 ;;
    --episodes) take_value EPISODES "$@"; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "error: unknown option $1" >&2; usage ;;
  esac
done
[ -n "$GAMES" ] && [ -n "$CORES" ] || { echo "error: --games and --cores are required" >&2; usage; }
require_int --actors "$ACTORS" 0 "" "actor processes; 0: none, the learner steps the games"
require_int --total-steps "$TOTAL_STEPS" 1 "" "agent steps per run"
require_int --episodes "$EPISODES" 1 "" "greedy games per evaluation"
PYTHON=${PYTHON:-python}
[ -n "$DEVICE" ] || DEVICE=$("$PYTHON" -c "import torch; print('cuda' if torch.cuda.is_available() else 'cpu')")

RUNS=()
for game in $GAMES; do
  for core in $CORES; do
    run="$OUT/$game/$core"
    RUNS+=("$run")
    echo "== $game $core -> $run"
    "$PYTHON" -m fwp_plugin.rl.train --env "$game" --core "$core" --save-dir "$run" --device "$DEVICE" \
      --total-steps "$TOTAL_STEPS" --num-actors "$ACTORS" --envs-per-actor 32 --unroll-length 50 \
      --keep-checkpoints-at 50000000 --eval-episodes "$EPISODES" "${EXTRA[@]}"
    if [ -f "$run/checkpoint_50000000.pt" ] && [ ! -f "$run/eval_50000000.json" ]; then
      "$PYTHON" -m fwp_plugin.rl.evaluate "$run/checkpoint_50000000.pt" --episodes "$EPISODES" \
        --output "$run/eval_50000000.json"
    fi
  done
done
"$PYTHON" -m fwp_plugin.rl.collect "${RUNS[@]}" --table "$OUT/table.md" --figure "$OUT/learning_curves.png"
