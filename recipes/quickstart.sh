#!/usr/bin/env bash
# Train a small Delta Net language model on WikiText-2 text and print its test perplexity.
#
#   bash recipes/quickstart.sh DATA_DIR OUT_DIR
#
# DATA_DIR holds wiki.valid.tokens and wiki.test.tokens (WikiText-2). The model
# trains on wiki.valid.tokens; the first half of wiki.test.tokens is the
# validation set, the second half the test set. OUT_DIR gets data-bin/,
# checkpoints/ and logs; re-running resumes from OUT_DIR/checkpoints (a run that
# has done its MAX_UPDATE updates is not trained further, only evaluated). An OUT_DIR
# prepared from other text (other TRAIN_LINES / EVAL_LINES) that already holds a
# run is refused (see prepare_data.sh), and so is a second quickstart into an
# OUT_DIR in use (OUT_DIR/.lock).
# Knobs (environment): ARCH, MAX_UPDATE, TOKENS_PER_SAMPLE, BATCH_SIZE,
# MODEL_FLAGS (extra fairseq-train model flags), TRAIN_LINES / EVAL_LINES (use
# only that many lines of each file: for quick tests; see prepare_data.sh).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/run_dir.sh
source "$HERE/lib/run_dir.sh"

if [ $# -ne 2 ]; then
  echo "usage: bash recipes/quickstart.sh DATA_DIR OUT_DIR" >&2
  exit 2
fi
DATA_DIR=$1
OUT_DIR=$2
ARCH=${ARCH:-fwp_delta_net_tiny}
MAX_UPDATE=${MAX_UPDATE:-300}
TOKENS_PER_SAMPLE=${TOKENS_PER_SAMPLE:-128}
BATCH_SIZE=${BATCH_SIZE:-16}
MODEL_FLAGS=${MODEL_FLAGS:---decoder-layers 4 --decoder-embed-dim 128 --decoder-attention-heads 8 --decoder-ffn-embed-dim 512}
PLUGIN=$(cd "$HERE/../fwp_plugin" && pwd)
require_int MAX_UPDATE "$MAX_UPDATE" 1 "" "fairseq reads 0 as no limit"
require_int TOKENS_PER_SAMPLE "$TOKENS_PER_SAMPLE" 1 "" "tokens per training segment"
require_int BATCH_SIZE "$BATCH_SIZE" 1 "" "segments per update"
# shellcheck disable=SC2086  # MODEL_FLAGS is a list of flags
check_fairseq_limits $MODEL_FLAGS

bash "$HERE/prepare_data.sh" "$DATA_DIR" "$OUT_DIR"
hold_lock "$OUT_DIR/.lock" "$OUT_DIR"

# shellcheck disable=SC2086  # MODEL_FLAGS is a list of flags
train_unless_finished "$OUT_DIR" "$MAX_UPDATE" "$OUT_DIR/data-bin" --user-dir "$PLUGIN" --task language_modeling \
  --arch "$ARCH" $MODEL_FLAGS \
  --tokens-per-sample "$TOKENS_PER_SAMPLE" --sample-break-mode none --batch-size "$BATCH_SIZE" \
  --optimizer adam --adam-betas '(0.9, 0.98)' --lr 2e-3 --lr-scheduler inverse_sqrt \
  --warmup-updates 100 --clip-norm 0.25 --max-update "$MAX_UPDATE" \
  --save-dir "$OUT_DIR/checkpoints" --no-epoch-checkpoints \
  --log-format simple --log-interval 50 --num-workers 0 --seed 1

fairseq-eval-lm "$OUT_DIR/data-bin" --user-dir "$PLUGIN" \
  --path "$OUT_DIR/checkpoints/checkpoint_best.pt" --gen-subset test \
  --tokens-per-sample "$TOKENS_PER_SAMPLE" --context-window $((TOKENS_PER_SAMPLE / 2)) \
  --batch-size "$BATCH_SIZE" --num-workers 0 \
  2>&1 | tee "$OUT_DIR/eval.log"

ppl=$(sed -n 's/.*Perplexity: \([0-9.]*\).*/\1/p' "$OUT_DIR/eval.log" | tail -n 1)
if [ -z "$ppl" ]; then
  echo "error: fairseq-eval-lm printed no perplexity; see $OUT_DIR/eval.log" >&2
  exit 1
fi
echo "test perplexity: $ppl"
