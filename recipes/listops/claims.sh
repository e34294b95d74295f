#!/usr/bin/env bash
# The paper's ListOps claim at CPU size: the LSTM, which collapses from depth 10 to depth 15
# (88.5% -> 24.4%) while the RDN keeps 79.2% at depth 15, here with the Delta Net beside them
# at depth 4 and depth 8 (twice as deep; mean 25 and 68 tokens), in the small setting of
# small.sh (2000 / 200 / 200 trees, 40 epochs), three seeds each. One data set per depth,
# shared by the seeds. 1 h 45 min on 2 CPU cores shared with other jobs (2026-12-01).
#
#   bash recipes/listops/claims.sh OUT_DIR
#
# OUT_DIR gets depth_4/ and depth_8/ (each as small.sh writes it), table.md (mean ± sd over the
# seeds, and every seed's accuracy) and figure.png. SEEDS (default "1 2 3") and MAX_EPOCH
# (default 40) can be set in the environment; a rerun resumes.
set -euo pipefail
[ $# -eq 1 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
exec bash "$(dirname "$0")/../lib/algorithmic_levels.sh" listops "$1" --depth "4 8" lstm delta_net rdn
