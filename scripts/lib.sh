# Shared by the scripts in this folder (sourced, not run): one line per step
# with the elapsed time, the step's full output kept in a log file.
#
#   NEWSEARCH_LOG   the log file (default: build/logs/setup.log)
#   step "what" command [args...]
#       runs the command with its output appended to the log and prints
#       `[m:ss] what ... done (Ns)`; when it fails, prints the log's last
#       lines and returns the command's exit status.

newsearch_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${NEWSEARCH_T0:=$(date +%s)}"
export NEWSEARCH_T0
: "${NEWSEARCH_LOG:=${NEWSEARCH_BUILD_DIR:-$newsearch_root/build}/logs/setup.log}"
export NEWSEARCH_LOG
mkdir -p "$(dirname "$NEWSEARCH_LOG")"

# m:ss since the first script of this run started.
newsearch_elapsed() {
  local s=$(($(date +%s) - NEWSEARCH_T0))
  printf '%d:%02d' $((s / 60)) $((s % 60))
}

step() {
  local what="$1"
  shift
  local start rc=0
  start=$(date +%s)
  printf '[%s] %s ...' "$(newsearch_elapsed)" "$what"
  echo "==== $(date -u +%FT%TZ) $what: $*" >>"$NEWSEARCH_LOG"
  "$@" >>"$NEWSEARCH_LOG" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    printf ' done (%ds)\n' $(($(date +%s) - start))
    return 0
  fi
  printf ' FAILED (exit %d after %ds); the last lines of %s:\n' "$rc" $(($(date +%s) - start)) \
    "$NEWSEARCH_LOG"
  tail -n 40 "$NEWSEARCH_LOG" | sed 's/^/    /'
  return "$rc"
}
