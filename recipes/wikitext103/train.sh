#!/usr/bin/env bash
# Train one model of the paper's WikiText-103 table with fairseq-train.
#
#   bash recipes/wikitext103/train.sh --model delta_rnn --size small --data DATA_BIN --out RUN_DIR \
#       [--mode truncated|full] [--gpus N] [--batch-per-gpu B] [--max-update N] [--seed S]
#       [--dry-run] [-- EXTRA_FAIRSEQ_FLAGS]
#
# --model   transformer | linear_transformer | delta_net | delta_mlp | delta_delta |
#           delta_rnn | delta_lstm | rdn (python -m fwp_plugin.model_names models --family language_model)
# --size    small | medium (the paper's settings) | tiny (CPU-sized: tests, the mini table)
# --mode    truncated (default): independent segments of 256 (small) / 384 (medium) tokens;
#           full: the fast weights carried across segments (language_modeling_carried_state)
# --gpus    GPUs to use (0 = CPU). The paper's 96 (small) / 56 (medium) segments per
#           update are kept whatever the GPU count, through --update-freq.
# --seed    fairseq's --seed (default 1): the initialisation and the data order.
# Re-running with the same RUN_DIR resumes from its last checkpoint; a RUN_DIR holding
# another configuration's checkpoints is refused, one whose run never wrote a checkpoint
# is taken over, and one in use by a run still going is refused (RUN_DIR/.lock). The log
# goes to RUN_DIR/train.log and to TensorBoard's RUN_DIR/tensorboard (watch: tensorboard
# --logdir RUN_DIR/tensorboard). --dry-run prints the fairseq-train command and exits,
# creating nothing (recipes/hydra holds the same runs as fairseq-hydra-train configs).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PLUGIN=$(cd "$HERE/../../fwp_plugin" && pwd)

# shellcheck source=../lib/run_dir.sh
source "$HERE/../lib/run_dir.sh"
# shellcheck source=../lib/model_names.sh
source "$HERE/../lib/model_names.sh"

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

MODEL= SIZE= DATA= OUT= MODE=truncated GPUS=1 BATCH_PER_GPU= MAX_UPDATE= SEED=1 DRY_RUN=0 EXTRA=()
while [ $# -gt 0 ]; do
  case $1 in
    --model) take_value MODEL "$@"; shift 2 ;;
    --size) take_value SIZE "$@"; shift 2 ;;
    --mode) take_value MODE "$@"; shift 2 ;;
    --data) take_value DATA "$@"; shift 2 ;;
    --out) take_value OUT "$@"; shift 2 ;;
    --gpus) take_value GPUS "$@"; shift 2 ;;
    --batch-per-gpu) take_value BATCH_PER_GPU "$@"; shift 2 ;;
    --max-update) take_value MAX_UPDATE "$@"; shift 2 ;;
    --seed) take_value SEED "$@"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) usage ;;
    *) echo "error: unknown option $1" >&2; usage ;;
  esac
done
[ -n "$MODEL" ] && [ -n "$SIZE" ] && [ -n "$DATA" ] && [ -n "$OUT" ] || usage
require_int --gpus "$GPUS" 0 "" "the number of GPUs; 0: the CPU"
[ -z "$BATCH_PER_GPU" ] || require_int --batch-per-gpu "$BATCH_PER_GPU" 1 "" "segments per GPU and step"
[ -z "$MAX_UPDATE" ] || require_int --max-update "$MAX_UPDATE" 1 "" "fairseq reads 0 as no limit"
require_int --seed "$SEED" 0 "" "fairseq's random seed"
check_fairseq_limits "${EXTRA[@]}"

MODEL=$(model_names name "$MODEL" --family language_model) || exit 1
case $SIZE in
  small) SETTING=wt103_small SEGMENT=256 SEGMENTS_PER_UPDATE=96 TOTAL_UPDATES=500000 LR=2.5e-4 ;;
  medium) SETTING=wt103_medium SEGMENT=384 SEGMENTS_PER_UPDATE=56 TOTAL_UPDATES=400000 LR=2.5e-4 ;;
  tiny) SETTING=tiny SEGMENT=128 SEGMENTS_PER_UPDATE=16 TOTAL_UPDATES=300 LR=2e-3 ;;
  *) die "unknown size '$SIZE'; choose small, medium or tiny" ;;
esac
case $MODE in
  truncated) TASK=language_modeling ;;
  full) TASK=language_modeling_carried_state
        [ "$MODEL" != transformer ] || die "--mode full carries fast weights; the softmax Transformer has none" ;;
  *) die "unknown mode '$MODE'; choose truncated or full" ;;
esac
[ -f "$DATA/dict.txt" ] || die "$DATA/dict.txt not found: --data is the fairseq-preprocess output (recipes/wikitext103/prepare.sh)"
MAX_UPDATE=${MAX_UPDATE:-$TOTAL_UPDATES}

ARCH=$(model_names arch "$MODEL" "$SETTING")
if [ "$SIZE" = tiny ]; then
  OUTPUT_FLAGS=(--criterion cross_entropy)
else
  OUTPUT_FLAGS=(--criterion adaptive_loss --ddp-backend legacy_ddp)
fi

# Segments per update = GPUs (or 1 CPU process) x batch per GPU x update frequency.
WORKERS=$(( GPUS > 0 ? GPUS : 1 ))
BATCH_PER_GPU=${BATCH_PER_GPU:-$(( SEGMENTS_PER_UPDATE / WORKERS ))}
[ "$BATCH_PER_GPU" -ge 1 ] || die "--gpus $GPUS is more than the $SEGMENTS_PER_UPDATE segments per update"
(( SEGMENTS_PER_UPDATE % (WORKERS * BATCH_PER_GPU) == 0 )) \
  || die "$SEGMENTS_PER_UPDATE segments per update do not split into $WORKERS worker(s) x $BATCH_PER_GPU; pick --batch-per-gpu dividing $(( SEGMENTS_PER_UPDATE / WORKERS ))"
UPDATE_FREQ=$(( SEGMENTS_PER_UPDATE / (WORKERS * BATCH_PER_GPU) ))
if [ "$MODE" = full ] && [ "$UPDATE_FREQ" -ne 1 ]; then
  die "--mode full walks $SEGMENTS_PER_UPDATE rows in step: use --batch-per-gpu $(( SEGMENTS_PER_UPDATE / WORKERS )) (update frequency 1)"
fi

MODE_FLAGS=()
[ "$MODE" = full ] && MODE_FLAGS=(--no-token-positional-embeddings)
[ "$TASK" = language_modeling ] && MODE_FLAGS+=(--sample-break-mode none)
DEVICE_FLAGS=(--cpu)
[ "$GPUS" -gt 0 ] && DEVICE_FLAGS=(--fp16 --distributed-world-size "$GPUS")

# The configuration a run directory belongs to; re-running resumes only when it matches.
# The seed is named only when it is not the default, so run directories made before --seed resume;
# the fairseq flags (extra=) come last, the rest of the line.
SEED_FIELD=$([ "$SEED" = 1 ] || echo " seed=$SEED")
CONFIG="model=$MODEL size=$SIZE mode=$MODE segments_per_update=$SEGMENTS_PER_UPDATE max_update=$MAX_UPDATE$SEED_FIELD extra=${EXTRA[*]:-}"
TRAIN_ARGS=("$DATA" --user-dir "$PLUGIN" --task "$TASK" --arch "$ARCH"
  "${MODE_FLAGS[@]}" "${OUTPUT_FLAGS[@]}" "${DEVICE_FLAGS[@]}"
  --tokens-per-sample "$SEGMENT" --batch-size "$BATCH_PER_GPU" --update-freq "$UPDATE_FREQ"
  --optimizer adam --adam-betas '(0.9, 0.999)' --lr "$LR" --lr-scheduler cosine
  --warmup-updates "$(( MAX_UPDATE < 2000 ? MAX_UPDATE / 10 : 2000 ))" --warmup-init-lr 1e-7
  --min-lr 0 --max-update "$MAX_UPDATE" --clip-norm 0.25
  --save-dir "$OUT/checkpoints" --no-epoch-checkpoints --log-format simple --log-interval 100
  --tensorboard-logdir "$OUT/tensorboard" --seed "$SEED" "${EXTRA[@]}")
if [ "$DRY_RUN" = 1 ]; then
  printf '%q ' fairseq-train "${TRAIN_ARGS[@]}"
  echo
  exit 0
fi
for split in train valid; do
  [ -f "$DATA/$split.bin" ] && [ -f "$DATA/$split.idx" ] \
    || die "$DATA/$split.bin or $split.idx not found: --data is incomplete: rerun the script that prepared it (recipes/wikitext103/prepare.sh, recipes/prepare_data.sh)"
done
claim_run_dir "$OUT" "$CONFIG"
train_unless_finished "$OUT" "$MAX_UPDATE" "${TRAIN_ARGS[@]}"
