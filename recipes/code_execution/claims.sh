#!/usr/bin/env bash
# The paper's code-execution claim at CPU size: with 5 variables the Delta RNN reaches 85.1%
# sequence accuracy while the Delta Net is unstable (61.4 ± 20% over seeds) and the LSTM
# reaches 93.2%; here the LSTM, Delta Net and Delta RNN with 3 and 5 variables in the small
# setting of small.sh (20-statement programs, 2000 / 200 / 200, 40 epochs), three seeds each.
# One data set per number of variables, shared by the seeds. The 18 runs trained for 1 h 44 min
# in all (0.9-14 min each, one thread per run; measured 2026-12-01).
#
#   bash recipes/code_execution/claims.sh OUT_DIR
#
# OUT_DIR gets num_vars_3/ and num_vars_5/ (each as small.sh writes it), table.md (mean ± sd
# over the seeds, and every seed's sequence accuracy) and figure.png. SEEDS (default "1 2 3")
# and MAX_EPOCH (default 40) can be set in the environment; a rerun resumes.
set -euo pipefail
[ $# -eq 1 ] || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
exec bash "$(dirname "$0")/../lib/algorithmic_levels.sh" code_execution "$1" --num-vars "3 5" \
  lstm delta_net delta_rnn -- --num-statements 20
