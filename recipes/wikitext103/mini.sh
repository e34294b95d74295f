#!/usr/bin/env bash
# The CPU-sized proxy of the paper's table: every model at a small size on WikiText-2 text.
#
#   bash recipes/wikitext103/mini.sh DATA_DIR OUT_DIR [MODEL[:MODE] ...]
#
# DATA_DIR holds WikiText-2's wiki.valid.tokens (the training text here) and
# wiki.test.tokens (halves: validation, test), e.g. ../shared/data/wikitext-2.
# Each model trains for MAX_UPDATE updates (default 300) at the "tiny" size of
# train.sh widened by MINI_MODEL_FLAGS (default: 4 blocks, d_model 128, 8 heads
# of 16, d_ff 512, validation every 50 updates), is scored by eval.sh, and the
# table of collect.py is printed and written to OUT_DIR/table.md, its figure
# (validation perplexity against updates, test perplexities) to OUT_DIR/figure.png.
# Without MODEL arguments: every model truncated, plus the Delta RNN and RDN with
# full context. TRAIN_LINES / EVAL_LINES slice the text (for tests), as in
# recipes/prepare_data.sh. Each run's TensorBoard log is in OUT_DIR/runs/RUN/tensorboard.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

[ $# -ge 2 ] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
DATA_DIR=$1 OUT_DIR=$2
shift 2
RUNS=("$@")
# shellcheck source=../lib/model_names.sh
source "$HERE/../lib/model_names.sh"
# shellcheck source=../lib/common.sh
source "$HERE/../lib/common.sh"
[ ${#RUNS[@]} -gt 0 ] || RUNS=($(model_names models --family language_model) delta_rnn:full rdn:full)
MAX_UPDATE=${MAX_UPDATE:-300}
require_int MAX_UPDATE "$MAX_UPDATE" 1 "" "updates per model; fairseq reads 0 as no limit"
read -r -a MODEL_FLAGS <<< "${MINI_MODEL_FLAGS:---decoder-layers 4 --decoder-embed-dim 128 --decoder-attention-heads 8 --decoder-ffn-embed-dim 512 --validate-interval-updates 50}"

bash "$HERE/../prepare_data.sh" "$DATA_DIR" "$OUT_DIR"
hold_lock "$OUT_DIR/.lock" "$OUT_DIR"
run_dirs=()
for run in "${RUNS[@]}"; do
  model=${run%%:*}
  mode=$([ "$run" = "$model" ] && echo truncated || echo "${run#*:}")
  run_dir="$OUT_DIR/runs/${model}_${mode}"
  echo "== run $(( ${#run_dirs[@]} + 1 ))/${#RUNS[@]}: $model, $mode context ($run_dir)" >&2
  bash "$HERE/train.sh" --model "$model" --size tiny --mode "$mode" --gpus 0 \
    --data "$OUT_DIR/data-bin" --out "$run_dir" --max-update "$MAX_UPDATE" -- "${MODEL_FLAGS[@]}"
  for split in valid test; do
    bash "$HERE/eval.sh" --data "$OUT_DIR/data-bin" --out "$run_dir" --split "$split" --gpus 0
  done
  run_dirs+=("$run_dir")
done
python "$HERE/collect.py" "${run_dirs[@]}" --figure "$OUT_DIR/figure.png" | tee "$OUT_DIR/table.md"
