# Shell helpers shared by the training recipes (source this file).

die() { echo "error: $*" >&2; exit 1; }

# claim_run_dir RUN_DIR CONFIG: make RUN_DIR this run's directory. A directory that
# already belongs to the same CONFIG (its run_config.txt) is resumed; one holding
# another configuration's run, or checkpoints of an unknown run, is refused.
claim_run_dir() {
  local run_dir=$1 config=$2
  mkdir -p "$run_dir"
  if [ -f "$run_dir/run_config.txt" ]; then
    [ "$(cat "$run_dir/run_config.txt")" = "$config" ] \
      || die "$run_dir holds another run ($(cat "$run_dir/run_config.txt")); pick another --out"
  elif [ -n "$(ls -A "$run_dir/checkpoints" 2>/dev/null)" ]; then
    die "$run_dir/checkpoints holds checkpoints of an unknown run; pick another --out"
  fi
  echo "$config" > "$run_dir/run_config.txt"
}
