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
NUM_VARS=5 SEMANTICS=correct DEPTH=10 GIVEN_GENERATOR_FLAGS=()
while [ $# -gt 0 ]; do
  case $1 in
    --task) take_value TASK "$@"; shift 2 ;;
    --model) take_value MODEL "$@"; shift 2 ;;
    --data) take_value DATA "$@"; shift 2 ;;
    --out) take_value OUT "$@"; shift 2 ;;
    --setting) take_value SETTING "$@"; shift 2 ;;
    --max-epoch) take_value MAX_EPOCH "$@"; shift 2 ;;
    --seed) take_value SEED "$@"; shift 2 ;;
    --cpu) DEVICE_FLAGS=(--cpu); shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    --num-vars) take_value NUM_VARS "$@"; GIVEN_GENERATOR_FLAGS+=("$1" "$2"); shift 2 ;;
    --semantics) take_value SEMANTICS "$@"; GIVEN_GENERATOR_FLAGS+=("$1" "$2"); shift 2 ;;
    --depth) take_value DEPTH "$@"; GIVEN_GENERATOR_FLAGS+=("$1" "$2"); shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) die "unknown option $1 (see the header of recipes/$TASK/run.sh)" ;;
  esac
done
[ -n "$MODEL" ] || die "--model is required"
[ -n "$OUT" ] || die "--out is required"
[ -z "$MAX_EPOCH" ] || require_int --max-epoch "$MAX_EPOCH" 1 "" "fairseq reads 0 as no limit"
require_int --seed "$SEED" 0 4294967295 "NumPy's seed range"
check_fairseq_limits "${EXTRA[@]}"
GENERATED=0  # whether the data set is the recipe's own (RUN_DIR/data, generated when missing)
[ -n "$DATA" ] || { DATA=$OUT/data; GENERATED=1; }

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
# FIXED_GENERATOR_FLAGS: what every data set of the recipe has, --data included (ListOps: the published
# sampler; data sets from before it, drawn by the capped one, are refused).
FIXED_GENERATOR_FLAGS=()
case $TASK in
  code_execution) BEST_METRIC=seq_acc
                  GENERATOR_FLAGS=(--num-vars "$NUM_VARS" --semantics "$SEMANTICS" --num-statements "$STATEMENTS") ;;
  listops) BEST_METRIC=acc; FIXED_GENERATOR_FLAGS=(--sampler published)
           GENERATOR_FLAGS=(--depth "$DEPTH" "${FIXED_GENERATOR_FLAGS[@]}") ;;
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

# The data set must be this task's, generated with the settings asked for: all of them for
# the recipe's own RUN_DIR/data, those on the command line for --data.
case $TASK in
  code_execution) COLUMNS=(src tgt) DICTIONARIES=(dict.src.txt dict.tgt.txt) OTHER=listops OTHER_COLUMN=label ;;
  listops) COLUMNS=(src label) DICTIONARIES=(dict.src.txt) OTHER=code_execution OTHER_COLUMN=tgt ;;
esac
check_data() {
  local generation flag wanted found i j file expected fix
  if [ -f "$DATA/generation.txt" ]; then
    read -r -a generation < "$DATA/generation.txt"
    [ "${generation[*]:0:3}" = "python -m fwp_plugin.data.$TASK" ] \
      || die "$DATA holds another task's data set ($DATA/generation.txt: ${generation[*]:0:3}," \
        "for recipes/$OTHER/run.sh): recipes/$TASK/run.sh needs one written by python -m" \
        "fwp_plugin.data.$TASK; give another --data, or leave --data out to generate one into RUN_DIR/data"
    if [ "$GENERATED" = 1 ]; then
      expected=("${GENERATOR_FLAGS[@]}" "${SPLIT_SIZES[@]}")
    else
      expected=("${GIVEN_GENERATOR_FLAGS[@]}" "${FIXED_GENERATOR_FLAGS[@]}")
    fi
    for (( i = 0; i < ${#expected[@]}; i += 2 )); do
      flag=${expected[i]} wanted=${expected[i + 1]} found=
      for (( j = 3; j < ${#generation[@]} - 1; j++ )); do
        [ "${generation[j]}" != "$flag" ] || found=${generation[j + 1]}
      done
      if [ "$GENERATED" = 1 ]; then
        fix="use another --out, or delete $DATA to generate it anew"
      elif [[ " ${FIXED_GENERATOR_FLAGS[*]} " == *" $flag "* ]]; then
        fix="recipes/$TASK/run.sh trains on data generated with $flag $wanted; give --data such a data set"
      else
        fix="give --data a data set generated with $flag $wanted, or leave $flag out"
      fi
      [ "$found" = "$wanted" ] || die "$DATA was generated with $flag ${found:-(unset)} ($DATA/generation.txt)," \
        "not $flag $wanted: $fix"
    done
  fi
  for file in "${DICTIONARIES[@]}" {train,valid,test}."${COLUMNS[0]}" {train,valid,test}."${COLUMNS[1]}"; do
    [ -f "$DATA/$file" ] && continue
    if [ -f "$DATA/train.$OTHER_COLUMN" ]; then
      die "$DATA/$file not found: $DATA looks like a data set of recipes/$OTHER/run.sh; give --data a" \
        "$TASK data set (python -m fwp_plugin.data.$TASK), or leave --data out to generate one"
    fi
    die "$DATA/$file not found: --data is a directory written by python -m fwp_plugin.data.$TASK (or leave --data out to generate one)"
  done
}

# The run directory is this run's from here on (a second run into it stops at once); a data
# set that is there already is checked first, so that a wrong one leaves nothing behind.
if [ -e "$DATA" ]; then
  check_data
  lock_run_dir "$OUT"
else
  lock_run_dir "$OUT"
  python -m "fwp_plugin.data.$TASK" "${GENERATOR_FLAGS[@]}" "${SPLIT_SIZES[@]}" --out "$DATA"
  check_data
fi

claim_run_dir "$OUT" "task=$TASK model=$MODEL setting=$SETTING data=$(cd "$DATA" && pwd) max_epoch=$MAX_EPOCH seed=$SEED extra=${EXTRA[*]:-}"

fairseq-train "${TRAIN_ARGS[@]}" 2>&1 | tee -a "$OUT/train.log"

# results.txt: one line per split, "split=test loss=... seq_acc=..." from fairseq-validate's log,
# written under a temporary name and renamed when complete.
fairseq-validate "$DATA" --user-dir "$PLUGIN" --task "$TASK" --path "$OUT/checkpoints/checkpoint_best.pt" \
  --valid-subset valid,test --batch-size 64 --num-workers 0 "${DEVICE_FLAGS[@]}" 2>&1 \
  | tee "$OUT/validate.log" \
  | sed -n "s/.*valid on '\([a-z]*\)' subset | \(.*\)/split=\1 | \2/p" \
  | sed 's/ | /|/g; s/|\([a-z_]*\) /|\1=/g; s/|/ /g' > "$OUT/results.txt.partial"
[ -s "$OUT/results.txt.partial" ] || die "fairseq-validate printed no metrics; see $OUT/validate.log"
mv "$OUT/results.txt.partial" "$OUT/results.txt"
cat "$OUT/results.txt"
