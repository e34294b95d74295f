#!/usr/bin/env bash
# Cut WikiText-2 text into train/valid/test and binarize it for fairseq.
#
#   bash recipes/prepare_data.sh DATA_DIR OUT_DIR
#
# DATA_DIR holds wiki.valid.tokens and wiki.test.tokens (WikiText-2). The
# training text is wiki.valid.tokens; the first half of wiki.test.tokens is the
# validation set, the second half the test set. OUT_DIR gets text/ and
# data-bin/ (fairseq-preprocess --only-source output), each written under a
# temporary name and renamed when complete, so an interrupted run leaves nothing
# half-made and the next run redoes it. data-bin/source.txt records the text it
# was made from: re-running with the same text keeps data-bin/; with other text
# (other TRAIN_LINES / EVAL_LINES or DATA_DIR) data-bin/ is rebuilt when OUT_DIR
# holds nothing else, and refused when OUT_DIR holds anything else (checkpoints,
# logs, runs: made from the old data).
# Knobs (environment): TRAIN_LINES / EVAL_LINES (use only that many lines of
# each file: for quick tests).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

if [ $# -ne 2 ]; then
  echo "usage: bash recipes/prepare_data.sh DATA_DIR OUT_DIR" >&2
  exit 2
fi
DATA_DIR=$1
OUT_DIR=$2
TRAIN_LINES=${TRAIN_LINES:-}
EVAL_LINES=${EVAL_LINES:-}
[ -z "$TRAIN_LINES" ] || require_int TRAIN_LINES "$TRAIN_LINES" 1 "" "lines of wiki.valid.tokens to train on; unset: all"
[ -z "$EVAL_LINES" ] || require_int EVAL_LINES "$EVAL_LINES" 2 "" "lines of wiki.test.tokens, halved into valid and test; unset: all"

for split in valid test; do
  if [ ! -f "$DATA_DIR/wiki.$split.tokens" ]; then
    echo "error: $DATA_DIR/wiki.$split.tokens not found; DATA_DIR must hold WikiText-2's wiki.valid.tokens and wiki.test.tokens (e.g. ../shared/data/wikitext-2)" >&2
    exit 1
  fi
  [ "$(wc -w < "$DATA_DIR/wiki.$split.tokens")" -gt 0 ] \
    || die "$DATA_DIR/wiki.$split.tokens is empty (no words): DATA_DIR must hold WikiText-2's text"
done

mkdir -p "$OUT_DIR"
# One preparation of OUT_DIR at a time; under the lock, what a killed run left is removed.
hold_lock "$OUT_DIR/.prepare.lock" "$OUT_DIR"
rm -rf "$OUT_DIR"/text.partial.* "$OUT_DIR"/data-bin.partial.* "$OUT_DIR"/data-bin.old.*

take() {  # take FILE [N]: the whole file, or its first N lines
  if [ -n "${2:-}" ]; then head -n "$2" "$1"; else cat "$1"; fi
}
text=$(mktemp -d "$OUT_DIR/text.partial.XXXXXX")
remove_on_exit "$text"
take "$DATA_DIR/wiki.valid.tokens" "$TRAIN_LINES" > "$text/train.txt"
take "$DATA_DIR/wiki.test.tokens" "$EVAL_LINES" > "$text/heldout.txt"
half=$(( ($(wc -l < "$text/heldout.txt") + 1) / 2 ))
head -n "$half" "$text/heldout.txt" > "$text/valid.txt"
tail -n "+$((half + 1))" "$text/heldout.txt" > "$text/test.txt"

# Every split must hold words: fairseq fails late and vaguely on an empty one.
describe() {  # describe SPLIT: where the split's text comes from
  case $1 in
    train) echo "the first ${TRAIN_LINES:-all} lines of $DATA_DIR/wiki.valid.tokens (TRAIN_LINES)" ;;
    valid) echo "the first half of the first ${EVAL_LINES:-all} lines of $DATA_DIR/wiki.test.tokens (EVAL_LINES)" ;;
    test) echo "the second half of the first ${EVAL_LINES:-all} lines of $DATA_DIR/wiki.test.tokens (EVAL_LINES)" ;;
  esac
}
for split in train valid test; do
  [ "$(wc -w < "$text/$split.txt")" -gt 0 ] \
    || die "the $split split, $(describe "$split"), has no words: raise $([ "$split" = train ] && echo TRAIN_LINES || echo EVAL_LINES), or leave it unset for the whole file"
done

# What data-bin is made from: the checksums of the three texts (and, for people, how).
source_of() {  # source_of TEXT_DIR: the checksum lines of its train, valid and test text
  (cd "$1" && md5sum train.txt valid.txt test.txt)
}
printf '# DATA_DIR=%s TRAIN_LINES=%s EVAL_LINES=%s\n%s\n' "$(cd "$DATA_DIR" && pwd -P)" "${TRAIN_LINES:-all}" \
  "${EVAL_LINES:-all}" "$(source_of "$text")" > "$text/source.txt"
complete() {  # complete DATA_BIN: whether fairseq-preprocess finished writing it
  local file
  for file in dict.txt train.bin train.idx valid.bin valid.idx test.bin test.idx; do
    [ -f "$1/$file" ] || return 1
  done
}
counts() {  # counts DATA_BIN TEXT_DIR SPLIT: "lines tokens" of the split's binarized data, then of its text
  local idx=$1/$3.idx lines
  if [ "$(head -c 9 "$idx" 2> /dev/null | od -An -c | tr -d ' ')" = 'MMIDIDX\0\0' ]; then
    lines=$(od -An -t u8 -j 18 -N 8 "$idx" | tr -d ' ')
    echo "$lines $(od -An -t u4 -v -j 26 -N $(( 4 * lines )) "$idx" | awk '{for (i = 1; i <= NF; i++) s += $i} END {print s + 0}')"
  else
    echo "unreadable"
  fi
  lines=$(wc -l < "$2/$3.txt")
  echo "$lines $(( $(wc -w < "$2/$3.txt") + lines ))"  # fairseq-preprocess adds an end of line to each
}
matches_text() {  # matches_text DATA_BIN TEXT_DIR: whether each split has the text's line and token counts
  local split
  for split in train valid test; do
    [ "$(counts "$1" "$2" "$split" | uniq | wc -l)" = 1 ] || return 1
  done
}
others() {  # what OUT_DIR holds besides this script's own files
  (cd "$OUT_DIR" && ls -A | grep -v -x -e text -e data-bin -e .prepare.lock -e 'text\.partial\..*' \
    -e 'data-bin\.partial\..*' -e 'data-bin\.old\..*' | tr '\n' ' ' || true)
}

bin=$OUT_DIR/data-bin
if [ -d "$bin" ]; then
  if [ -f "$bin/source.txt" ]; then
    built_from=$(grep -v '^#' "$bin/source.txt")
    how=$(sed -n 's/^# //p' "$bin/source.txt")
  elif source_of "$OUT_DIR/text" > /dev/null 2>&1 && matches_text "$bin" "$OUT_DIR/text"; then
    # Made before data-bin recorded its source: the text next to it has its line and token counts.
    built_from=$(source_of "$OUT_DIR/text")
    how="the text in $OUT_DIR/text"
  else
    built_from= how="not recorded: made before data-bin/source.txt existed, and not from $OUT_DIR/text"
  fi
fi
if [ -d "$bin" ] && complete "$bin" && [ "$built_from" = "$(source_of "$text")" ]; then
  [ -f "$bin/source.txt" ] || cp "$text/source.txt" "$bin/source.txt"
  echo "$bin was made from this text: keeping it"
else
  if [ -d "$bin" ] && [ "$built_from" != "$(source_of "$text")" ]; then
    [ -z "$(others)" ] || die "$bin was made from other text ($how), not from DATA_DIR=$DATA_DIR" \
      "TRAIN_LINES=${TRAIN_LINES:-all} EVAL_LINES=${EVAL_LINES:-all}, and $OUT_DIR also holds what was made" \
      "from that data ($(others | sed 's/ $//')): use another OUT_DIR, or delete $OUT_DIR to start over"
    echo "$bin was made from other text ($how): rebuilding it" >&2
  elif [ -d "$bin" ]; then
    echo "$bin is incomplete (an interrupted run): rebuilding it" >&2
  fi
  partial=$(mktemp -d "$OUT_DIR/data-bin.partial.XXXXXX")
  remove_on_exit "$partial"
  fairseq-preprocess --only-source --task language_modeling \
    --trainpref "$text/train.txt" --validpref "$text/valid.txt" \
    --testpref "$text/test.txt" --destdir "$partial" --workers 2
  complete "$partial" || die "fairseq-preprocess did not write every file of $partial"
  cp "$text/source.txt" "$partial/source.txt"
  if [ -d "$bin" ]; then
    old=$(mktemp -u "$OUT_DIR/data-bin.old.XXXXXX")
    remove_on_exit "$old"
    mv -T "$bin" "$old"
  fi
  mv -T "$partial" "$bin"
fi
# The text of data-bin, in place of what was there (the same text when data-bin was kept).
rm -f "$text/source.txt"
if [ -d "$OUT_DIR/text" ]; then
  old_text=$(mktemp -u "$OUT_DIR/text.partial.XXXXXX")
  remove_on_exit "$old_text"
  mv -T "$OUT_DIR/text" "$old_text"
fi
mv -T "$text" "$OUT_DIR/text"
