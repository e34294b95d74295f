#!/usr/bin/env bash
# The CPU-sized ListOps setting: one dataset of depth-4 trees over MIN / MAX / FIRST
# (2000 / 200 / 200), each model trained 40 epochs at the small size of run.sh,
# scored on test, and their table printed and written to OUT_DIR/table.md, their
# validation acc by epoch drawn in OUT_DIR/figure.png.
#
#   bash recipes/listops/small.sh OUT_DIR [MODEL ...]
#
# Default models: lstm transformer linear_transformer delta_net delta_rnn rdn.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
OUT=$1
shift
exec bash "$(dirname "$0")/../lib/algorithmic_small.sh" listops "$OUT" "$@" -- --depth 4
