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
# DATA_BIN gets fairseq-preprocess --only-source output, written under a temporary name
# (DATA_BIN.partial.*) and renamed when complete: an interrupted run leaves nothing
# half-made, and the next run redoes it. DATA_BIN/source.txt records the checksums of
# the three files; an existing DATA_BIN made from the same files is kept, one made from
# other files is refused. Downloads and unpacked files are also complete or absent.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/common.sh
source "$HERE/../lib/common.sh"

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 2 ] || usage
RAW_DIR=$1 DATA_BIN=$2
shift 2
URL= CHECK_COUNTS=1
while [ $# -gt 0 ]; do
  case $1 in
    --url) take_value URL "$@"; shift 2 ;;
    --skip-count-check) CHECK_COUNTS=0; shift ;;
    *) echo "error: unknown option $1" >&2; usage ;;
  esac
done
DATA_BIN=${DATA_BIN%/}
[ -n "$DATA_BIN" ] || die "DATA_BIN is empty; give the directory to write the binarized data to"

declare -A EXPECTED_TOKENS=([train]=103227021 [valid]=217646 [test]=245569)
missing() { for split in train valid test; do [ -f "$RAW_DIR/wiki.$split.tokens" ] || return 0; done; return 1; }

if missing && [ -n "$URL" ]; then
  # Downloaded and unpacked in RAW_DIR/.download.partial.*, removed on the way out (or, after
  # a kill -9, by the next download); only complete files are moved into RAW_DIR.
  mkdir -p "$RAW_DIR"
  hold_lock "$RAW_DIR/.download.lock" "$RAW_DIR"
  rm -rf "$RAW_DIR"/.download.partial.*
  work=$(mktemp -d "$RAW_DIR/.download.partial.XXXXXX")
  remove_on_exit "$work"
  archive=$work/archive.zip unpacked=$work/files
  curl --fail --location --output "$archive" "$URL" || die "download of $URL failed"
  unzip -j -o "$archive" '*wiki.*.tokens' -d "$unpacked" || die "$URL is not a zip holding wiki.{train,valid,test}.tokens"
  for split in train valid test; do
    [ -f "$unpacked/wiki.$split.tokens" ] || die "$URL holds no wiki.$split.tokens"
  done
  for split in train valid test; do
    mv -f "$unpacked/wiki.$split.tokens" "$RAW_DIR/"
  done
fi
for split in train valid test; do
  [ -f "$RAW_DIR/wiki.$split.tokens" ] \
    || die "$RAW_DIR/wiki.$split.tokens not found: RAW_DIR must be an unpacked WikiText-103 (or pass --url)"
  words=$(wc -w < "$RAW_DIR/wiki.$split.tokens")
  [ "$words" -gt 0 ] || die "$RAW_DIR/wiki.$split.tokens is empty (no words): RAW_DIR must be an unpacked WikiText-103"
  if [ "$CHECK_COUNTS" = 1 ]; then
    tokens=$(( words + $(wc -l < "$RAW_DIR/wiki.$split.tokens") ))
    [ "$tokens" = "${EXPECTED_TOKENS[$split]}" ] \
      || die "$RAW_DIR/wiki.$split.tokens has $tokens tokens, WikiText-103's has ${EXPECTED_TOKENS[$split]}: truncated or not WikiText-103 (--skip-count-check to go on anyway)"
  fi
done

complete() {  # complete DIR: whether fairseq-preprocess finished writing DIR
  local file
  for file in dict.txt train.bin train.idx valid.bin valid.idx test.bin test.idx; do
    [ -f "$1/$file" ] || return 1
  done
}
if [ -d "$DATA_BIN" ] && ! complete "$DATA_BIN" && [ -n "$(ls -A "$DATA_BIN")" ]; then
  if [ -f "$DATA_BIN/dict.txt" ]; then
    die "$DATA_BIN is incomplete (left by an interrupted run of an older version of this script): remove it and rerun"
  fi
  die "$DATA_BIN exists and is not a binarized data set: give a new directory (or an empty one)"
fi

parent=$(dirname "$DATA_BIN")
mkdir -p "$parent"
# One run at a time writes next to DATA_BIN; under the lock, what a killed run left is removed.
hold_lock "$parent/.$(basename "$DATA_BIN").lock" "$DATA_BIN"
rm -rf "$DATA_BIN".partial.*
checksums=$(cd "$RAW_DIR" && md5sum wiki.train.tokens wiki.valid.tokens wiki.test.tokens)
if complete "$DATA_BIN"; then
  if [ ! -f "$DATA_BIN/source.txt" ]; then
    echo "$DATA_BIN holds binarized data (made before source.txt recorded its files): keeping it"
  elif [ "$(grep -v '^#' "$DATA_BIN/source.txt")" = "$checksums" ]; then
    echo "$DATA_BIN was made from these files: keeping it"
  else
    die "$DATA_BIN was made from other files ($(sed -n 's/^# //p' "$DATA_BIN/source.txt")) than those in" \
      "$RAW_DIR: give another DATA_BIN, or delete $DATA_BIN to rebuild it"
  fi
  exit 0
fi
partial=$(mktemp -d "$DATA_BIN.partial.XXXXXX")
remove_on_exit "$partial"
fairseq-preprocess --only-source --task language_modeling \
  --trainpref "$RAW_DIR/wiki.train.tokens" --validpref "$RAW_DIR/wiki.valid.tokens" \
  --testpref "$RAW_DIR/wiki.test.tokens" --destdir "$partial" --workers "$(nproc)"
complete "$partial" || die "fairseq-preprocess did not write every file of $partial"
printf '# RAW_DIR=%s\n%s\n' "$(cd "$RAW_DIR" && pwd)" "$checksums" > "$partial/source.txt"
mv -T "$partial" "$DATA_BIN"
