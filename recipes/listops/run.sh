#!/usr/bin/env bash
# Sequential ListOps (the paper's second algorithmic task): generate -> train -> evaluate.
#
#   bash recipes/listops/run.sh --model MODEL --out RUN_DIR [--depth D]
#       [--setting paper|small] [--data DATA_DIR] [--max-epoch N] [--seed S] [--cpu] [--dry-run]
#       [-- EXTRA_FAIRSEQ_TRAIN_FLAGS]
#
# MODEL      lstm | transformer | linear_transformer | delta_net | delta_mlp |
#            delta_delta | delta_rnn | delta_lstm | rdn
# --setting  paper (default): 10000 / 1000 / 1000 trees; the paper's models (4 layers,
#            d_model 256, 16 heads of 16, FF 1024, dropout 0.1; the LSTM: 4 x 256,
#            embedding 128); Adam 3e-4, betas (0.9, 0.995), batch 64, 200 epochs.
#            small: 2000 / 200 / 200 trees; 2 layers, d_model 64, 4 heads (LSTM
#            2 x 128), no dropout, Adam 1e-3, 40 epochs.
# --data     an existing dataset (python -m fwp_plugin.data.listops); without it one
#            is generated into RUN_DIR/data with --depth D (default 10; the paper's
#            10 and 15: the deepest value sits at D + 1) over MIN / MAX / FIRST.
# The kept checkpoint is the one with the best validation acc. RUN_DIR gets
# checkpoints/, train.log and results.txt (acc: the label read at the last token, on
# valid and test). Re-running resumes; another run's RUN_DIR is refused.
# Watch a run live: tensorboard --logdir RUN_DIR/tensorboard (pip install tensorboard).
# --dry-run prints the fairseq-train command and exits (recipes/hydra: the same runs as
# fairseq-hydra-train configs).
set -euo pipefail
if [ $# -eq 0 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
  sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2
fi
exec bash "$(dirname "$0")/../lib/algorithmic.sh" --task listops "$@"
