# Run directories of the training recipes (source this file; it also gives common.sh's helpers).
#
# lock_run_dir RUN_DIR: create RUN_DIR and lock it (RUN_DIR/.lock) for the life of this
# script and of what it starts, so that a second run started into the same RUN_DIR at the
# same time stops at once, naming RUN_DIR and the process that holds it.
#
# claim_run_dir RUN_DIR CONFIG: lock RUN_DIR (as above) and make it this run's directory.
# A directory that already belongs to the same CONFIG (its run_config.txt) is resumed. One
# whose run never wrote a checkpoint (it failed before its first save: a typo in the flags,
# a crash) holds nothing to resume: it is taken over, the old run's run_config.txt, logs
# and TensorBoard files moved into RUN_DIR/abandoned-DATE-TIME/. One holding another
# configuration's checkpoints, or checkpoints of an unknown run, is refused.

# trained_updates RUN_DIR: the updates done by the run in RUN_DIR (those of its
# checkpoints/checkpoint_last.pt; 0 without one). A run that has done its --max-update is
# finished: fairseq-train resumed on it would still train one more update (it checks the
# limit after each update), changing the result, so the recipes do not start it again.

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

_FWP_LOCKED_RUN_DIRS=()
lock_run_dir() {
  local run_dir=$1 locked
  for locked in "${_FWP_LOCKED_RUN_DIRS[@]}"; do
    [ "$locked" != "$run_dir" ] || return 0
  done
  mkdir -p "$run_dir" || die "cannot create the run directory $run_dir"
  hold_lock "$run_dir/.lock" "$run_dir"
  _FWP_LOCKED_RUN_DIRS+=("$run_dir")
}

# has_checkpoint RUN_DIR: whether fairseq saved a checkpoint in RUN_DIR/checkpoints.
has_checkpoint() {
  compgen -G "$1/checkpoints/checkpoint*.pt" > /dev/null
}

claim_run_dir() {
  local run_dir=$1 config=$2 old aside name
  lock_run_dir "$run_dir"
  if [ -f "$run_dir/run_config.txt" ]; then
    old=$(cat "$run_dir/run_config.txt")
    if [ "$old" != "$config" ]; then
      has_checkpoint "$run_dir" && die "$run_dir holds another run ($old); pick another --out"
      aside="$run_dir/abandoned-$(date +%Y%m%d-%H%M%S)"
      [ ! -e "$aside" ] || aside="$aside-$$"
      mkdir "$aside"
      for name in run_config.txt train.log tensorboard checkpoints validate.log results.txt; do
        [ ! -e "$run_dir/$name" ] || mv "$run_dir/$name" "$aside/"
      done
      echo "note: taking over $run_dir: its run ($old) never wrote a checkpoint;" \
        "its files are in $aside" >&2
    fi
  elif [ -n "$(ls -A "$run_dir/checkpoints" 2> /dev/null)" ]; then
    die "$run_dir/checkpoints holds checkpoints of an unknown run; pick another --out"
  fi
  echo "$config" > "$run_dir/run_config.txt.partial"
  mv "$run_dir/run_config.txt.partial" "$run_dir/run_config.txt"
}

trained_updates() {
  local checkpoint=$1/checkpoints/checkpoint_last.pt
  if [ ! -f "$checkpoint" ]; then
    echo 0
    return
  fi
  "${PYTHON:-python}" -c 'import sys, torch
state = torch.load(sys.argv[1], map_location="cpu", weights_only=False, mmap=True)
print(state["optimizer_history"][-1]["num_updates"])' "$checkpoint" \
    || die "cannot read the number of updates from $checkpoint"
}

# train_unless_finished RUN_DIR MAX_UPDATE FAIRSEQ_TRAIN_ARGS...: run fairseq-train (its log
# appended to RUN_DIR/train.log), unless the run in RUN_DIR has done MAX_UPDATE updates.
train_unless_finished() {
  local run_dir=$1 max_update=$2 updates
  shift 2
  updates=$(trained_updates "$run_dir")
  if [ "$updates" -ge "$max_update" ]; then
    echo "$run_dir holds a finished run ($updates updates of $max_update): nothing to train"
    return 0
  fi
  fairseq-train "$@" 2>&1 | tee -a "$run_dir/train.log"
}
