#!/usr/bin/env bash
# Perplexity of a trained run with fairseq-eval-lm, as the paper evaluates it.
#
#   bash recipes/wikitext103/eval.sh --data DATA_BIN --out RUN_DIR [--split test|valid] [--gpus N]
#
# Always: the sliding window of the paper (each token scored with 255 (small) /
# 383 (medium) tokens of context; 64 for the tiny CPU size, for speed). For
# runs trained with --mode full, also the fast weights carried: through the whole
# split as one stream (carried_state, the paper's evaluation), and through rows no
# longer than the training rows (carried_state_rows: within the lengths the model
# was trained on). Each evaluation's log goes to RUN_DIR/eval_<split>_<kind>.log
# and its perplexity to RUN_DIR/results.txt.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PLUGIN=$(cd "$HERE/../../fwp_plugin" && pwd)

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
# shellcheck source=../lib/common.sh
source "$HERE/../lib/common.sh"

DATA= OUT= SPLIT=test GPUS=1
while [ $# -gt 0 ]; do
  case $1 in
    --data) take_value DATA "$@"; shift 2 ;;
    --out) take_value OUT "$@"; shift 2 ;;
    --split) take_value SPLIT "$@"; shift 2 ;;
    --gpus) take_value GPUS "$@"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "error: unknown option $1" >&2; usage ;;
  esac
done
[ -n "$DATA" ] && [ -n "$OUT" ] || usage
case $SPLIT in
  test|valid) ;;
  *) die "unknown split '$SPLIT'; choose test or valid" ;;
esac
require_int --gpus "$GPUS" 0 "" "0: the CPU; more than 0: one GPU"
[ -f "$OUT/run_config.txt" ] || die "$OUT/run_config.txt not found: --out is a run directory of recipes/wikitext103/train.sh"
read_config() { tr ' ' '\n' < "$OUT/run_config.txt" | sed -n "s/^$1=//p"; }
TASK=$(read_config task)
[ -z "$TASK" ] || die "$OUT is a run of recipes/$TASK/run.sh (task=$TASK), which scores its checkpoint itself" \
  "(see $OUT/results.txt); eval.sh scores the language models of recipes/wikitext103/train.sh"
SIZE=$(read_config size)
MODE=$(read_config mode)
case $SIZE in
  small) SEGMENT=256; CONTEXT=255 ;;
  medium) SEGMENT=384; CONTEXT=383 ;;
  tiny) SEGMENT=128; CONTEXT=64 ;;
  *) die "$OUT/run_config.txt names no size (small, medium or tiny): --out is not a run directory of recipes/wikitext103/train.sh" ;;
esac
CHECKPOINT=$OUT/checkpoints/checkpoint_best.pt
[ -f "$CHECKPOINT" ] || die "$CHECKPOINT not found: train first (recipes/wikitext103/train.sh)"
[ -f "$DATA/dict.txt" ] || die "$DATA/dict.txt not found: --data is the fairseq-preprocess output the run was trained on"
[ -f "$DATA/$SPLIT.bin" ] && [ -f "$DATA/$SPLIT.idx" ] \
  || die "$DATA/$SPLIT.bin or $SPLIT.idx not found: --data is incomplete: rerun the script that prepared it (recipes/wikitext103/prepare.sh, recipes/prepare_data.sh)"
DEVICE_FLAGS=(--cpu)
[ "$GPUS" -gt 0 ] && DEVICE_FLAGS=()

evaluate() {  # evaluate KIND FAIRSEQ_FLAGS...: run fairseq-eval-lm, record its perplexity
  local kind=$1; shift
  local log="$OUT/eval_${SPLIT}_${kind}.log"
  fairseq-eval-lm "$DATA" --user-dir "$PLUGIN" --path "$CHECKPOINT" --gen-subset "$SPLIT" \
    "${DEVICE_FLAGS[@]}" --num-workers 0 "$@" 2>&1 | tee "$log"
  local ppl
  ppl=$(sed -n 's/.*Perplexity: \([0-9.]*\).*/\1/p' "$log" | tail -n 1)
  [ -n "$ppl" ] || die "fairseq-eval-lm printed no perplexity; see $log"
  # One line per split and kind; the update is atomic, and two evaluations of the same run
  # (valid and test at once) take turns.
  (
    if command -v flock > /dev/null; then flock 9; fi
    grep -v "^split=$SPLIT eval=$kind " "$OUT/results.txt" 2>/dev/null > "$OUT/results.txt.partial" || true
    echo "split=$SPLIT eval=$kind ppl=$ppl" >> "$OUT/results.txt.partial"
    mv "$OUT/results.txt.partial" "$OUT/results.txt"
  ) 9>> "$OUT/.results.lock"
  echo "$SPLIT perplexity ($kind): $ppl"
}

evaluate sliding_window --task language_modeling --tokens-per-sample "$SEGMENT" \
  --context-window "$CONTEXT" --batch-size 8
if [ "$MODE" = full ]; then
  evaluate carried_state --task language_modeling_carried_state --tokens-per-sample "$SEGMENT" --batch-size 1
  # Training cut the train split into segments_per_update rows; cut this split into rows no longer.
  ROWS=$(python - "$DATA" "$SPLIT" "$(read_config segments_per_update)" <<'PYTHON'
import math, sys
from fairseq.data import data_utils
data, split, training_rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
datasets = {name: data_utils.load_indexed_dataset(f"{data}/{name}") for name in ("train", split)}
tokens = {name: int(dataset.sizes.sum()) for name, dataset in datasets.items()}  # (sizes live in their mmap)
print(math.ceil(tokens[split] / ((tokens["train"] - 1) // training_rows)))
PYTHON
  )
  evaluate carried_state_rows --task language_modeling_carried_state --tokens-per-sample "$SEGMENT" \
    --batch-size "$ROWS"
fi
