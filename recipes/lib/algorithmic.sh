#!/usr/bin/env bash
# One run of an algorithmic task: generate the data (unless given), train with
# fairseq-train, score the best checkpoint on valid and test with fairseq-validate.
# Called by recipes/code_execution/run.sh and recipes/listops/run.sh, whose headers
# document the options; --task code_execution|listops picks the task.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PLUGIN=$(cd "$HERE/../../fwp_plugin" && pwd)
# shellcheck source=run_dir.sh
source "$HERE/run_dir.sh"
# shellcheck source=model_names.sh
source "$HERE/model_names.sh"

TASK= MODEL= DATA= OUT= SETTING=paper MAX_EPOCH= SEED=1 DRY_RUN=0 DEVICE_FLAGS=() EXTRA=()
NUM_VARS=5 SEMANTICS=correct DEPTH=10
while [ $# -gt 0 ]; do
  case $1 in
    --task) TASK=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --setting) SETTING=$2; shift 2 ;;
    --max-epoch) MAX_EPOCH=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --cpu) DEVICE_FLAGS=(--cpu); shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    --num-vars) NUM_VARS=$2; shift 2 ;;
    --semantics) SEMANTICS=$2; shift 2 ;;
    --depth) DEPTH=$2; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) die "unknown option $1 (see the header of recipes/$TASK/run.sh)" ;;
  esac
done
[ -n "$MODEL" ] || die "--model is required"
[ -n "$OUT" ] || die "--out is required"
DATA=${DATA:-$OUT/data}

MODEL=$(model_names name "$MODEL" --family algorithmic) || exit 1
ARCH=$(model_names arch "$MODEL" algorithmic)
case $SETTING in
  paper) LR=3e-4; EPOCHS=200; SPLIT_SIZES=(--train-size 10000 --valid-size 1000 --test-size 1000)
         MODEL_FLAGS=() STATEMENTS=100 ;;
  small) LR=1e-3; EPOCHS=40; SPLIT_SIZES=(--train-size 2000 --valid-size 200 --test-size 200) STATEMENTS=20
         if [ "$MODEL" = lstm ]; then
           MODEL_FLAGS=(--embed-dim 64 --lstm-hidden-size 128 --lstm-layers 2 --dropout 0)
         else
           MODEL_FLAGS=(--decoder-layers 2 --decoder-embed-dim 64 --decoder-attention-heads 4
                        --decoder-ffn-embed-dim 256 --dropout 0)
         fi ;;
  *) die "unknown setting '$SETTING'; choose paper or small" ;;
esac
case $TASK in
  code_execution) BEST_METRIC=seq_acc
                  GENERATOR_FLAGS=(--num-vars "$NUM_VARS" --semantics "$SEMANTICS" --num-statements "$STATEMENTS") ;;
  listops) BEST_METRIC=acc; GENERATOR_FLAGS=(--depth "$DEPTH") ;;
  *) die "unknown task '$TASK'; choose code_execution or listops" ;;
esac
MAX_EPOCH=${MAX_EPOCH:-$EPOCHS}

TRAIN_ARGS=("$DATA" --user-dir "$PLUGIN" --task "$TASK" --criterion "${TASK}_accuracy" --arch "$ARCH"
  "${MODEL_FLAGS[@]}" "${DEVICE_FLAGS[@]}"
  --optimizer adam --adam-betas '(0.9, 0.995)' --adam-eps 1e-9 --lr "$LR" --lr-scheduler fixed
  --batch-size 64 --max-epoch "$MAX_EPOCH"
  --best-checkpoint-metric "$BEST_METRIC" --maximize-best-checkpoint-metric
  --save-dir "$OUT/checkpoints" --no-epoch-checkpoints --log-format simple --log-interval 50
  --tensorboard-logdir "$OUT/tensorboard" --num-workers 0 --seed "$SEED" "${EXTRA[@]}")
if [ "$DRY_RUN" = 1 ]; then
  printf '%q ' fairseq-train "${TRAIN_ARGS[@]}"
  echo
  exit 0
fi

if [ ! -e "$DATA" ]; then
  python -m "fwp_plugin.data.$TASK" "${GENERATOR_FLAGS[@]}" "${SPLIT_SIZES[@]}" --out "$DATA"
fi
for file in dict.src.txt train.src valid.src test.src; do
  [ -f "$DATA/$file" ] || die "$DATA/$file not found: --data is a directory written by python -m fwp_plugin.data.$TASK (or leave --data out to generate one)"
done

claim_run_dir "$OUT" "task=$TASK model=$MODEL setting=$SETTING data=$(cd "$DATA" && pwd) max_epoch=$MAX_EPOCH seed=$SEED extra=${EXTRA[*]:-}"

fairseq-train "${TRAIN_ARGS[@]}" 2>&1 | tee -a "$OUT/train.log"

# results.txt: one line per split, "split=test loss=... seq_acc=..." from fairseq-validate's log.
fairseq-validate "$DATA" --user-dir "$PLUGIN" --task "$TASK" --path "$OUT/checkpoints/checkpoint_best.pt" \
  --valid-subset valid,test --batch-size 64 --num-workers 0 "${DEVICE_FLAGS[@]}" 2>&1 \
  | tee "$OUT/validate.log" \
  | sed -n "s/.*valid on '\([a-z]*\)' subset | \(.*\)/split=\1 | \2/p" \
  | sed 's/ | /|/g; s/|\([a-z_]*\) /|\1=/g; s/|/ /g' > "$OUT/results.txt"
[ -s "$OUT/results.txt" ] || die "fairseq-validate printed no metrics; see $OUT/validate.log"
cat "$OUT/results.txt"
