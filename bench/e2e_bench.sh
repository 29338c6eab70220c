#!/usr/bin/env bash
# End-to-end benchmark of newsearch: generate N pages, start fresh
# newsearch-ingest and newsearch-search on loopback, time `newsearch ingest`
# + `newsearch wait` (pages/s until everything is searchable), measure query
# latency over bench/queries.txt with newsearch-bench-query, the index size
# and each server's peak RSS, then print a markdown table and write it to
# bench/results/<date>-<N>.md. See bench/README.md. Not run by ctest.
#
# Usage: bench/e2e_bench.sh [BUILD_DIR]        (default: ./build, or $BUILD_DIR)
# Environment: N (pages, default 10000), KEEP=1 keeps the temp dir,
#              RESULTS_DIR (default bench/results), WAIT_TIMEOUT (s, default 1800).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-${BUILD_DIR:-$ROOT/build}}" && pwd)
N=${N:-10000}
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results}
WAIT_TIMEOUT=${WAIT_TIMEOUT:-1800}
QUERIES=$ROOT/bench/queries.txt

INGEST_BIN=$BUILD/ingest-service/server/newsearch-ingest
SEARCH_BIN=$BUILD/search-service/server/newsearch-search
CLI=$BUILD/tools/cli/newsearch
QUERY_BIN=$BUILD/bench/newsearch-bench-query

die() { echo "e2e_bench: $*" >&2; exit 1; }
log() { echo "e2e_bench: $*" >&2; }

[[ "$N" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, not '$N'"
for bin in "$INGEST_BIN" "$SEARCH_BIN" "$CLI" "$QUERY_BIN"; do
  [[ -x "$bin" ]] || die "missing $bin; build it: cmake --build $BUILD --target" \
    "newsearch-ingest newsearch-search newsearch-cli newsearch-bench-query"
done
[[ -f "$ROOT/tools/gen_pages.py" ]] || die "missing tools/gen_pages.py"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/newsearch-bench.XXXXXX")
INGEST_PID=""
SEARCH_PID=""

# Sends SIGTERM and waits (up to 30 s) for the process to exit, then SIGKILL.
stop_server() {
  local pid=$1
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  log "pid $pid ignored SIGTERM for 30 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  stop_server "$SEARCH_PID"
  stop_server "$INGEST_PID"
  if [[ "${KEEP:-0}" == 1 || $rc -ne 0 ]]; then
    log "kept $WORK (server logs: ingest.log, search.log)"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
# Prints a/b with `digits` decimals (awk: no bc on slim images).
div() { awk -v a="$1" -v b="$2" -v d="${3:-1}" 'BEGIN { printf "%.*f", d, (b > 0 ? a / b : 0) }'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
mib() {
  awk -v b="$1" 'BEGIN { if (b < 1048576) printf "%.1f KiB", b / 1024; else printf "%.1f MiB", b / 1048576 }'
}
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# Waits until the server writes its port file; fails if the process exits.
wait_port() {
  local pid=$1 file=$2 name=$3
  for _ in $(seq 600); do
    if [[ -s "$file" ]]; then tr -d '[:space:]' <"$file"; return 0; fi
    kill -0 "$pid" 2>/dev/null || die "$name exited during startup; see $WORK/$name.log"
    sleep 0.05
  done
  die "$name did not write its port file within 30 s; see $WORK/$name.log"
}

# --- 1. corpus ------------------------------------------------------------
log "generating $N pages in $WORK/pages"
t=$(now)
python3 "$ROOT/tools/gen_pages.py" --count "$N" --seed 1 --out "$WORK/pages" >/dev/null
GEN_SECONDS=$(sub "$(now)" "$t")
CORPUS_BYTES=$(du -sb "$WORK/pages" | cut -f1)
PAGES=$(find "$WORK/pages" -type f | wc -l)
[[ "$PAGES" -eq "$N" ]] || die "gen_pages.py wrote $PAGES pages, expected $N"

# --- 2. servers -----------------------------------------------------------
"$INGEST_BIN" --listen=127.0.0.1:0 --port_file="$WORK/ingest.port" \
  --data_dir="$WORK/ingest" --metrics_listen= >"$WORK/ingest.log" 2>&1 &
INGEST_PID=$!
INGEST_PORT=$(wait_port "$INGEST_PID" "$WORK/ingest.port" ingest)
"$SEARCH_BIN" --listen=127.0.0.1:0 --port_file="$WORK/search.port" \
  --data_dir="$WORK/search" --ingest_address="127.0.0.1:$INGEST_PORT" \
  --metrics_listen= >"$WORK/search.log" 2>&1 &
SEARCH_PID=$!
SEARCH_PORT=$(wait_port "$SEARCH_PID" "$WORK/search.port" search)
export NEWSEARCH_INGEST_ADDRESS=127.0.0.1:$INGEST_PORT
export NEWSEARCH_SEARCH_ADDRESS=127.0.0.1:$SEARCH_PORT
log "ingest pid $INGEST_PID on :$INGEST_PORT, search pid $SEARCH_PID on :$SEARCH_PORT"
# Both up and the replica following (an empty store answers within one heartbeat).
"$CLI" wait --timeout 60 >/dev/null || die "servers not ready; see $WORK/*.log"

# --- 3. ingest until searchable -------------------------------------------
log "ingesting $N pages"
t0=$(now)
set +e
"$CLI" ingest "$WORK/pages" 2>"$WORK/cli-ingest.log"
INGEST_RC=$?
set -e
t1=$(now)
[[ $INGEST_RC -eq 0 || $INGEST_RC -eq 2 ]] ||
  die "newsearch ingest failed (exit $INGEST_RC): $(tail -3 "$WORK/cli-ingest.log")"
"$CLI" wait --timeout "$WAIT_TIMEOUT" >/dev/null || die "index did not catch up in ${WAIT_TIMEOUT}s"
t2=$(now)
INGEST_SUMMARY=$(grep '^ingested ' "$WORK/cli-ingest.log" | tail -1 | tr -d '\r')
FAILED_PAGES=$(grep -c '^FAILED ' "$WORK/cli-ingest.log" || true)
INGEST_SECONDS=$(sub "$t1" "$t0")
SEARCHABLE_SECONDS=$(sub "$t2" "$t0")
CATCHUP_SECONDS=$(sub "$t2" "$t1")

STATUS_JSON=$("$CLI" --json status)
read -r DOCS APPLIED INDEX_REPORTED_BYTES < <(python3 -c '
import json, sys
s = json.loads(sys.argv[1])
print(int(s.get("documentCount", 0)), int(s.get("appliedSeq", 0)), int(s.get("indexSizeBytes", 0)))
' "$STATUS_JSON")

# --- 4. query latency -----------------------------------------------------
log "timing $(grep -cv '^[[:space:]]*\(#\|$\)' "$QUERIES") queries"
set +e
"$QUERY_BIN" --search="$NEWSEARCH_SEARCH_ADDRESS" --queries="$QUERIES" --passes=3 \
  --warmup_passes=1 >"$WORK/query.log" 2>&1
QUERY_RC=$?
set -e
cat "$WORK/query.log" >&2
RESULT_LINE=$(grep '^RESULT ' "$WORK/query.log" || true)
[[ -n "$RESULT_LINE" ]] || die "newsearch-bench-query printed no RESULT (exit $QUERY_RC)"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $RESULT_LINE"; }

# --- 5. sizes, memory, machine --------------------------------------------
INDEX_BYTES=$(du -sb "$WORK/search" | cut -f1)
STORE_BYTES=$(du -sb "$WORK/ingest" | cut -f1)
INGEST_HWM=$(hwm_kib "$INGEST_PID")
SEARCH_HWM=$(hwm_kib "$SEARCH_PID")
stop_server "$SEARCH_PID"; SEARCH_PID=""
stop_server "$INGEST_PID"; INGEST_PID=""

CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
RAM=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -1)" ]]; then COMMIT="$COMMIT (dirty)"; fi
DATE=$(date +%F)

TABLE=$(cat <<EOF
# newsearch end-to-end benchmark, $DATE, N=$N

| metric | value |
|---|---|
| pages (N) | $N ($(mib "$CORPUS_BYTES"), gen_pages.py --seed 1, ${GEN_SECONDS}s to generate) |
| articles indexed | $DOCS (applied_seq $APPLIED) |
| failed pages | $FAILED_PAGES |
| ingest (all pages acknowledged) | ${INGEST_SECONDS}s, $(div "$N" "$INGEST_SECONDS") pages/s |
| catch-up after ingest (wait) | ${CATCHUP_SECONDS}s |
| **ingest to searchable** | **${SEARCHABLE_SECONDS}s, $(div "$N" "$SEARCHABLE_SECONDS") pages/s, $(div "$DOCS" "$SEARCHABLE_SECONDS") articles/s** |
| query latency p50 / p95 / p99 | $(field p50_ms) / $(field p95_ms) / $(field p99_ms) ms |
| query latency mean / max | $(field mean_ms) / $(field max_ms) ms |
| queries timed (1 client, 3 passes) | $(field queries) ($(field qps) queries/s, $(field errors) errors, $(field zero_hit) of the list with no hits) |
| index size (du of search data dir) | $(mib "$INDEX_BYTES") (GetIndexStatus: $(mib "$INDEX_REPORTED_BYTES")) |
| ingest store size (du of ingest data dir) | $(mib "$STORE_BYTES") |
| peak RSS newsearch-ingest (VmHWM) | $(awk -v k="$INGEST_HWM" 'BEGIN { printf "%.1f MiB", k / 1024 }') |
| peak RSS newsearch-search (VmHWM) | $(awk -v k="$SEARCH_HWM" 'BEGIN { printf "%.1f MiB", k / 1024 }') |
| machine | $(nproc) CPUs, $CPU_MODEL, $RAM RAM, $(uname -r) |
| build | $(basename "$BUILD") ($(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)), commit $COMMIT |

Ingest summary: \`$INGEST_SUMMARY\`
EOF
)

mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/$DATE-$N.md"
printf '%s\n' "$TABLE" >"$OUT"
printf '%s\n' "$TABLE"
log "wrote $OUT"
