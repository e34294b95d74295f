#!/usr/bin/env bash
# The CPU-sized setting of an algorithmic task for several models on one dataset,
# then their table (recipes/lib/algorithmic_table.py). Called by
# recipes/code_execution/small.sh and recipes/listops/small.sh:
#
#   bash recipes/lib/algorithmic_small.sh TASK OUT_DIR [MODEL ...] [-- GENERATOR_FLAGS]
#
# Default models: lstm transformer linear_transformer delta_net delta_rnn rdn.
# GENERATOR_FLAGS come after the default split sizes (2000 / 200 / 200), so they can
# change them; MAX_EPOCH (environment) overrides the small setting's 40 epochs. SEEDS
# (environment, default "1"; e.g. "1 2 3") trains each model once per fairseq seed, on the
# same data; the table gives the mean and standard deviation over the seeds.
# OUT_DIR gets data/, runs/MODEL_seedS/, table.md and figure.png (validation accuracy by epoch).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=run_dir.sh
source "$HERE/run_dir.sh"

[ $# -ge 2 ] || { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
TASK=$1 OUT=$2
shift 2
MODELS=() GENERATOR_FLAGS=()
while [ $# -gt 0 ]; do
  case $1 in
    --) shift; GENERATOR_FLAGS=("$@"); break ;;
    *) MODELS+=("$1"); shift ;;
  esac
done
[ ${#MODELS[@]} -gt 0 ] || MODELS=(lstm transformer linear_transformer delta_net delta_rnn rdn)
[ -z "${MAX_EPOCH:-}" ] || require_int MAX_EPOCH "$MAX_EPOCH" 1 "" "epochs per model; fairseq reads 0 as no limit"
read -r -a SEED_LIST <<< "${SEEDS:-1}"
[ ${#SEED_LIST[@]} -gt 0 ] || die "SEEDS is empty; give fairseq seeds, e.g. SEEDS=\"1 2 3\""

mkdir -p "$OUT"
hold_lock "$OUT/.lock" "$OUT"
[ -e "$OUT/data" ] || python -m "fwp_plugin.data.$TASK" --train-size 2000 --valid-size 200 --test-size 200 \
  "${GENERATOR_FLAGS[@]}" --out "$OUT/data"
run_dirs=()
for seed in "${SEED_LIST[@]}"; do
  for model in "${MODELS[@]}"; do
    run_dir="$OUT/runs/${model}_seed$seed"
    echo "== run $(( ${#run_dirs[@]} + 1 ))/$(( ${#MODELS[@]} * ${#SEED_LIST[@]} )): $model, seed $seed ($run_dir)" >&2
    bash "$HERE/algorithmic.sh" --task "$TASK" --model "$model" --setting small --cpu --seed "$seed" \
      --data "$OUT/data" --out "$run_dir" ${MAX_EPOCH:+--max-epoch "$MAX_EPOCH"}
    run_dirs+=("$run_dir")
  done
done
python "$HERE/algorithmic_table.py" "${run_dirs[@]}" --figure "$OUT/figure.png" | tee "$OUT/table.md"
