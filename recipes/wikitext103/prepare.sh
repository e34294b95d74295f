#!/usr/bin/env bash
# Binarize an unpacked WikiText-103 for fairseq.
#
#   bash recipes/wikitext103/prepare.sh RAW_DIR DATA_BIN [--url URL] [--skip-count-check]
#
# RAW_DIR holds wiki.train.tokens, wiki.valid.tokens and wiki.test.tokens (the
# "wikitext-103" folder of the official zip). With --url, a zip is downloaded
# and unpacked into RAW_DIR first if those files are missing (the old official
# address is dead: pass a mirror you trust). The token counts (words + one
# end-of-line per line) are checked against the published ones, so a truncated
# or wrong file stops here; --skip-count-check is for other corpora and tests.
# DATA_BIN gets fairseq-preprocess --only-source output; an existing one is kept.
set -euo pipefail

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "error: $*" >&2; exit 1; }

[ $# -ge 2 ] || usage
RAW_DIR=$1 DATA_BIN=$2
shift 2
URL= CHECK_COUNTS=1
while [ $# -gt 0 ]; do
  case $1 in
    --url) URL=$2; shift 2 ;;
    --skip-count-check) CHECK_COUNTS=0; shift ;;
    *) echo "error: unknown option $1" >&2; usage ;;
  esac
done

declare -A EXPECTED_TOKENS=([train]=103227021 [valid]=217646 [test]=245569)
missing() { for split in train valid test; do [ -f "$RAW_DIR/wiki.$split.tokens" ] || return 0; done; return 1; }

if missing && [ -n "$URL" ]; then
  mkdir -p "$RAW_DIR"
  archive=$(mktemp --suffix=.zip)
  curl --fail --location --output "$archive" "$URL" || die "download of $URL failed"
  unzip -j -o "$archive" '*wiki.*.tokens' -d "$RAW_DIR" || die "$URL is not a zip holding wiki.{train,valid,test}.tokens"
  rm -f "$archive"
fi
for split in train valid test; do
  [ -f "$RAW_DIR/wiki.$split.tokens" ] \
    || die "$RAW_DIR/wiki.$split.tokens not found: RAW_DIR must be an unpacked WikiText-103 (or pass --url)"
  if [ "$CHECK_COUNTS" = 1 ]; then
    tokens=$(( $(wc -w < "$RAW_DIR/wiki.$split.tokens") + $(wc -l < "$RAW_DIR/wiki.$split.tokens") ))
    [ "$tokens" = "${EXPECTED_TOKENS[$split]}" ] \
      || die "$RAW_DIR/wiki.$split.tokens has $tokens tokens, WikiText-103's has ${EXPECTED_TOKENS[$split]}: truncated or not WikiText-103 (--skip-count-check to go on anyway)"
  fi
done

if [ -f "$DATA_BIN/dict.txt" ]; then
  echo "$DATA_BIN/dict.txt exists: keeping the binarized data"
  exit 0
fi
fairseq-preprocess --only-source --task language_modeling \
  --trainpref "$RAW_DIR/wiki.train.tokens" --validpref "$RAW_DIR/wiki.valid.tokens" \
  --testpref "$RAW_DIR/wiki.test.tokens" --destdir "$DATA_BIN" --workers "$(nproc)"
