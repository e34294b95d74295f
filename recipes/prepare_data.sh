#!/usr/bin/env bash
# Cut WikiText-2 text into train/valid/test and binarize it for fairseq.
#
#   bash recipes/prepare_data.sh DATA_DIR OUT_DIR
#
# DATA_DIR holds wiki.valid.tokens and wiki.test.tokens (WikiText-2). The
# training text is wiki.valid.tokens; the first half of wiki.test.tokens is the
# validation set, the second half the test set. OUT_DIR gets text/ and
# data-bin/ (fairseq-preprocess --only-source output; kept if it exists).
# Knobs (environment): TRAIN_LINES / EVAL_LINES (use only that many lines of
# each file: for quick tests).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: bash recipes/prepare_data.sh DATA_DIR OUT_DIR" >&2
  exit 2
fi
DATA_DIR=$1
OUT_DIR=$2
TRAIN_LINES=${TRAIN_LINES:-}
EVAL_LINES=${EVAL_LINES:-}

for split in valid test; do
  if [ ! -f "$DATA_DIR/wiki.$split.tokens" ]; then
    echo "error: $DATA_DIR/wiki.$split.tokens not found; DATA_DIR must hold WikiText-2's wiki.valid.tokens and wiki.test.tokens (e.g. ../shared/data/wikitext-2)" >&2
    exit 1
  fi
done

mkdir -p "$OUT_DIR/text"
take() {  # take FILE [N]: the whole file, or its first N lines
  if [ -n "${2:-}" ]; then head -n "$2" "$1"; else cat "$1"; fi
}
take "$DATA_DIR/wiki.valid.tokens" "$TRAIN_LINES" > "$OUT_DIR/text/train.txt"
take "$DATA_DIR/wiki.test.tokens" "$EVAL_LINES" > "$OUT_DIR/text/heldout.txt"
half=$(( ($(wc -l < "$OUT_DIR/text/heldout.txt") + 1) / 2 ))
head -n "$half" "$OUT_DIR/text/heldout.txt" > "$OUT_DIR/text/valid.txt"
tail -n "+$((half + 1))" "$OUT_DIR/text/heldout.txt" > "$OUT_DIR/text/test.txt"

if [ ! -f "$OUT_DIR/data-bin/dict.txt" ]; then
  fairseq-preprocess --only-source --task language_modeling \
    --trainpref "$OUT_DIR/text/train.txt" --validpref "$OUT_DIR/text/valid.txt" \
    --testpref "$OUT_DIR/text/test.txt" --destdir "$OUT_DIR/data-bin" --workers 2
fi
