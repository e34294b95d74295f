#!/usr/bin/env bash
# The CPU-sized proxy of the paper's table: every model at a small size on WikiText-2 text.
#
#   bash recipes/wikitext103/mini.sh DATA_DIR OUT_DIR [MODEL[:MODE] ...]    (MODE: truncated, full,
#                                                                            truncated_no_positions)
#
# DATA_DIR holds WikiText-2's wiki.valid.tokens (the training text here) and
# wiki.test.tokens (halves: validation, test), e.g. ../shared/data/wikitext-2.
# Each model trains for MAX_UPDATE updates (default 300) at the "tiny" size of
# train.sh widened by MINI_MODEL_FLAGS (default: 4 blocks, d_model 128, 8 heads
# of 16, d_ff 512, validation every 50 updates), is scored by eval.sh, and the
# table of collect.py is printed and written to OUT_DIR/table.md, its figure
# (validation perplexity against updates, test perplexities) to OUT_DIR/figure.png.
# Without MODEL arguments: every model truncated, plus the Delta RNN and RDN with
# full context and their truncated twins without positional embeddings (truncated_no_positions:
# the same model as the full-context run, only trained on independent segments). The runs without
# positional embeddings are then scored by length_table.py (OUT_DIR/length_table.md), and the
# full-context runs of the first seed by carried_state_stats.py (OUT_DIR/carried_state_stats_RUN.md).
# SEEDS (default "1"; "1 2 3" for the three-seed table) trains each model once per seed into
# OUT_DIR/runs/MODEL_MODE_seedS; the table gives the mean and standard deviation over the
# seeds. TRAIN_LINES / EVAL_LINES slice the text (for tests), as in recipes/prepare_data.sh.
# Each run's TensorBoard log is in OUT_DIR/runs/RUN/tensorboard.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

[ $# -ge 2 ] || { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
DATA_DIR=$1 OUT_DIR=$2
shift 2
RUNS=("$@")
# shellcheck source=../lib/model_names.sh
source "$HERE/../lib/model_names.sh"
# shellcheck source=../lib/common.sh
source "$HERE/../lib/common.sh"
[ ${#RUNS[@]} -gt 0 ] || RUNS=($(model_names models --family language_model) delta_rnn:full rdn:full
                               delta_rnn:truncated_no_positions rdn:truncated_no_positions)
MAX_UPDATE=${MAX_UPDATE:-300}
require_int MAX_UPDATE "$MAX_UPDATE" 1 "" "updates per model; fairseq reads 0 as no limit"
read -r -a SEED_LIST <<< "${SEEDS:-1}"
[ ${#SEED_LIST[@]} -gt 0 ] || die "SEEDS is empty; give fairseq seeds, e.g. SEEDS=\"1 2 3\""
for seed in "${SEED_LIST[@]}"; do require_int "a seed in SEEDS" "$seed" 0 "" "fairseq's random seed"; done
read -r -a MODEL_FLAGS <<< "${MINI_MODEL_FLAGS:---decoder-layers 4 --decoder-embed-dim 128 --decoder-attention-heads 8 --decoder-ffn-embed-dim 512 --validate-interval-updates 50}"

bash "$HERE/../prepare_data.sh" "$DATA_DIR" "$OUT_DIR"
hold_lock "$OUT_DIR/.lock" "$OUT_DIR"
run_dirs=() carried_runs=() stats_runs=()
total=$(( ${#RUNS[@]} * ${#SEED_LIST[@]} ))
for seed in "${SEED_LIST[@]}"; do
  for run in "${RUNS[@]}"; do
    model=${run%%:*}
    mode=$([ "$run" = "$model" ] && echo truncated || echo "${run#*:}")
    run_dir="$OUT_DIR/runs/${model}_${mode}_seed${seed}"
    case $mode in
      truncated|full) TRAIN_MODE=$mode POSITION_FLAGS=() ;;
      truncated_no_positions) TRAIN_MODE=truncated POSITION_FLAGS=(--no-token-positional-embeddings) ;;
      *) die "unknown mode '$mode' in '$run'; choose truncated, full or truncated_no_positions" ;;
    esac
    echo "== run $(( ${#run_dirs[@]} + 1 ))/$total: $model, $mode, seed $seed ($run_dir)" >&2
    bash "$HERE/train.sh" --model "$model" --size tiny --mode "$TRAIN_MODE" --gpus 0 --seed "$seed" \
      --data "$OUT_DIR/data-bin" --out "$run_dir" --max-update "$MAX_UPDATE" -- "${MODEL_FLAGS[@]}" "${POSITION_FLAGS[@]}"
    for split in valid test; do
      bash "$HERE/eval.sh" --data "$OUT_DIR/data-bin" --out "$run_dir" --split "$split" --gpus 0
    done
    run_dirs+=("$run_dir")
    [ "$mode" = truncated ] || carried_runs+=("$run_dir")
    [ "$mode" != full ] || [ "$seed" != "${SEED_LIST[0]}" ] || stats_runs+=("$run_dir")
  done
done
python "$HERE/collect.py" "${run_dirs[@]}" --figure "$OUT_DIR/figure.png" | tee "$OUT_DIR/table.md"
if [ ${#carried_runs[@]} -gt 0 ]; then
  python "$HERE/length_table.py" "${carried_runs[@]}" --data "$OUT_DIR/data-bin" | tee "$OUT_DIR/length_table.md"
fi
for run_dir in "${stats_runs[@]}"; do
  python "$HERE/carried_state_stats.py" "$run_dir" --data "$OUT_DIR/data-bin" \
    | tee "$OUT_DIR/carried_state_stats_$(basename "$run_dir").md"
done
