#!/usr/bin/env bash
# Code execution (the paper's first algorithmic task): generate -> train -> evaluate.
#
#   bash recipes/code_execution/run.sh --model MODEL --out RUN_DIR [--num-vars 3|5]
#       [--setting paper|small] [--data DATA_DIR] [--semantics correct|published]
#       [--max-epoch N] [--seed S] [--cpu] [--dry-run] [-- EXTRA_FAIRSEQ_TRAIN_FLAGS]
#
# MODEL      lstm | transformer | linear_transformer | delta_net | delta_mlp |
#            delta_delta | delta_rnn | delta_lstm | rdn
# --setting  paper (default): 100-statement programs, 10000 / 1000 / 1000; the paper's
#            models (4 layers, d_model 256, 16 heads of 16, FF 1024, dropout 0.1; the
#            LSTM: 4 x 256, embedding 128); Adam 3e-4, betas (0.9, 0.995), batch 64,
#            200 epochs. small: 20-statement programs, 2000 / 200 / 200; 2 layers,
#            d_model 64, 4 heads (LSTM 2 x 128), no dropout, Adam 1e-3, 40 epochs.
# --data     an existing dataset (python -m fwp_plugin.data.code_execution); without
#            it one is generated into RUN_DIR/data (--num-vars, default 5, and
#            --semantics: published reproduces the published generator's quirk).
# The kept checkpoint is the one with the best validation seq_acc. RUN_DIR gets
# checkpoints/, train.log and results.txt (seq_acc, the paper's metric, print_acc,
# token_acc on valid and test). Re-running resumes; another run's RUN_DIR is refused.
# Watch a run live: tensorboard --logdir RUN_DIR/tensorboard (pip install tensorboard).
# --dry-run prints the fairseq-train command and exits (recipes/hydra: the same runs as
# fairseq-hydra-train configs).
set -euo pipefail
if [ $# -eq 0 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
  sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2
fi
exec bash "$(dirname "$0")/../lib/algorithmic.sh" --task code_execution "$@"
