#!/usr/bin/env bash
# A short Atari run on the CPU that goes through the real pipeline end to end: ale-py's
# Pong with the paper's preprocessing and network (IMPALA ResNet torso, 2-layer Delta Net
# core), STEPS agent steps (4 frames each) on 4 games, a checkpoint, one greedy whole game,
# and the learning curve. It shows the pipeline runs, not that the agent learns Pong.
#
#   bash recipes/rl/atari_smoke.sh OUT_DIR [CORE]
#
# Settings (environment variables): GAME (PongNoFrameskip-v4), STEPS (2000).
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
OUT=$1
CORE=${2:-delta_net}
PYTHON=${PYTHON:-python}
"$PYTHON" -m fwp_plugin.rl.train --env "${GAME:-PongNoFrameskip-v4}" --core "$CORE" --save-dir "$OUT" \
  --total-steps "${STEPS:-2000}" --envs-per-actor 4 --unroll-length 50 --log-every 10 --eval-episodes 1
