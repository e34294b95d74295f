# Shell helpers shared by every recipe (source this file): errors, option values, whole
# numbers, temporary paths removed however the script ends, and locks.
#
#   die MESSAGE...                         print "error: MESSAGE" and exit 1
#   take_value VAR "$@"                    in an option loop: VAR=$2, or an error when the option ($1) has no value
#   require_int NAME VALUE MIN [MAX] [NOTE]
#                                          an error unless VALUE is a whole number in [MIN, MAX]
#   check_fairseq_limits FLAG...           an error for --max-update / --max-epoch below 1 among
#                                          fairseq flags passed through (fairseq reads 0 as no limit)
#   remove_on_exit PATH...                 delete PATHs when the script exits (error, Ctrl-C, SIGTERM)
#   hold_lock PATH WHAT                    lock PATH (created if missing) until this script and its
#                                          children end; an error naming WHAT when another process holds it

die() { echo "error: $*" >&2; exit 1; }

# take_value VAR OPTION [VALUE ...]: called as `take_value VAR "$@"` for the option in $1;
# sets VAR to its value, or stops when the value is missing (the option ends the command
# line, or the next word is another option). The caller then does `shift 2`.
take_value() {
  local var=$1 option=$2
  if [ $# -lt 3 ] || [ -z "$3" ]; then
    die "$option needs a value"
  fi
  case $3 in
    --*) die "$option needs a value (got the option $3)" ;;
  esac
  printf -v "$var" '%s' "$3"
}

# require_int NAME VALUE MIN [MAX] [NOTE]: stop unless VALUE is a whole number (digits
# only, no leading zero) from MIN to MAX (no upper bound when MAX is empty); NOTE says
# what the number is, and why the bound, in the message.
require_int() {
  local name=$1 value=$2 min=$3 max=${4:-} note=${5:-} range
  if [ -n "$max" ]; then range="from $min to $max"; else range=">= $min"; fi
  if [[ $value =~ ^(0|[1-9][0-9]{0,17})$ ]] && (( 10#$value >= min )) && { [ -z "$max" ] || (( 10#$value <= max )); }; then
    return 0
  fi
  die "$name must be a whole number $range${note:+ ($note)}, got '$value'"
}

# check_fairseq_limits FLAG...: the fairseq flags a recipe passes through (after --) must not
# set --max-update or --max-epoch to 0 or less: fairseq reads 0 as "no limit", and the run
# would never end.
check_fairseq_limits() {
  while [ $# -gt 0 ]; do
    case $1 in
      --max-update|--max-epoch) require_int "$1" "${2:-}" 1 "" "fairseq reads 0 as no limit"; shift ;;
      --max-update=*|--max-epoch=*) require_int "${1%%=*}" "${1#*=}" 1 "" "fairseq reads 0 as no limit" ;;
    esac
    shift
  done
}

# remove_on_exit PATH...: remove PATHs (files or directories) when this script exits, whether
# it ends normally, by an error or by Ctrl-C / SIGTERM. A path renamed into place before
# the exit is no longer there to remove.
_FWP_REMOVE=()
_fwp_remove() {
  local path
  for path in "${_FWP_REMOVE[@]}"; do
    rm -rf -- "$path"
  done
}
remove_on_exit() {
  _FWP_REMOVE+=("$@")
  trap _fwp_remove EXIT
  trap '_fwp_remove; exit 130' INT
  trap '_fwp_remove; exit 143' TERM
}

# hold_lock PATH WHAT: take an exclusive lock (flock) on the file PATH, created if missing,
# for the life of this script and of the processes it starts (they inherit the lock). When
# another process holds it, stop with a message naming WHAT and that process. The lock
# ends with the processes, however they end (a crash or kill -9 leaves no stale lock).
hold_lock() {
  local path=$1 what=$2 fd holder
  if ! command -v flock > /dev/null; then
    echo "warning: flock not found: nothing stops a second run from using $what at the same time" >&2
    return 0
  fi
  exec {fd}>>"$path" || die "cannot create the lock file $path"
  if ! flock -n "$fd"; then
    holder=$(cat "$path" 2> /dev/null || true)
    die "$what is in use by another run${holder:+ ($holder)}: wait for it to end, or pick another directory"
  fi
  printf 'process %s on %s, started %s: %s\n' "$$" "$(uname -n)" "$(date '+%Y-%m-%d %H:%M:%S')" \
    "$0" > "$path"
}
