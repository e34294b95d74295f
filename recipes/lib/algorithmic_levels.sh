#!/usr/bin/env bash
# The CPU-sized setting of an algorithmic task at several levels of one generator option
# (ListOps --depth, code execution --num-vars), each model trained once per seed, then one
# table over every level (recipes/lib/algorithmic_table.py). Called by
# recipes/listops/claims.sh and recipes/code_execution/claims.sh:
#
#   bash recipes/lib/algorithmic_levels.sh TASK OUT_DIR OPTION "LEVEL ..." MODEL ... [-- GENERATOR_FLAGS]
#
# Each level is a run of recipes/lib/algorithmic_small.sh into OUT_DIR/NAME_LEVEL (NAME: OPTION
# without its dashes, e.g. depth_8) with GENERATOR_FLAGS OPTION LEVEL. SEEDS (environment,
# default "1 2 3") and MAX_EPOCH pass on. OUT_DIR gets table.md and figure.png.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
source "$HERE/common.sh"

[ $# -ge 5 ] || { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
TASK=$1 OUT=$2 OPTION=$3
read -r -a LEVELS <<< "$4"
shift 4
MODELS=() GENERATOR_FLAGS=()
while [ $# -gt 0 ]; do
  case $1 in
    --) shift; GENERATOR_FLAGS=("$@"); break ;;
    *) MODELS+=("$1"); shift ;;
  esac
done
[ ${#LEVELS[@]} -gt 0 ] || die "no levels of $OPTION given"
[ ${#MODELS[@]} -gt 0 ] || die "no models given"
NAME=${OPTION#--}
NAME=${NAME//-/_}
export SEEDS=${SEEDS:-1 2 3}
read -r -a SEED_LIST <<< "$SEEDS"

run_dirs=()
for level in "${LEVELS[@]}"; do
  level_dir="$OUT/${NAME}_$level"
  echo "=== $TASK, $OPTION $level ($level_dir)" >&2
  bash "$HERE/algorithmic_small.sh" "$TASK" "$level_dir" "${MODELS[@]}" -- "${GENERATOR_FLAGS[@]}" "$OPTION" "$level"
  for seed in "${SEED_LIST[@]}"; do
    for model in "${MODELS[@]}"; do run_dirs+=("$level_dir/runs/${model}_seed$seed"); done
  done
done
python "$HERE/algorithmic_table.py" "${run_dirs[@]}" --figure "$OUT/figure.png" | tee "$OUT/table.md"
