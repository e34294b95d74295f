#!/usr/bin/env bash
# The CPU-sized code execution setting: one dataset of 20-statement programs over
# 3 variables (2000 / 200 / 200), each model trained 40 epochs at the small size of
# run.sh, scored on test, and their table printed and written to OUT_DIR/table.md,
# their validation print_acc by epoch drawn in OUT_DIR/figure.png.
#
#   bash recipes/code_execution/small.sh OUT_DIR [MODEL ...]
#
# Default models: lstm transformer linear_transformer delta_net delta_rnn rdn.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
OUT=$1
shift
exec bash "$(dirname "$0")/../lib/algorithmic_small.sh" code_execution "$OUT" "$@" \
  -- --num-vars 3 --num-statements 20
