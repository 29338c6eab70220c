#!/usr/bin/env bash
# The cost of the router's extra hop (#12): query latency of one replica
# holding the whole index, against a router (--shards) over that same replica
# (1 partition) and a router over 2 partition replicas (--partition=0/2 and
# 1/2), all following one ingest that holds the peers' corpus, measured in one
# run with newsearch-bench-query (one client, page size 10; then again with
# exact facets, where every match is examined and the match spies' counts
# travel back from each shard).
#
#   bench/router_bench.sh BUILD_DIR [SIZE]      (SIZE: 10k by default)
# Needs the raw pages of /work/shared/peers (PEERS_DATA, default
# ${TMPDIR:-/tmp}/newsearch-peers/data: raw_SIZE/) and their queries
# (QUERIES, default /work/shared/peers/queries.txt, third column). Prints a
# markdown table. PASSES (default 3) timed passes after one warm-up pass.
# INGEST_DATA=DIR starts ingest on a copy of a store filled before (a kept
# run's WORK/ingest, KEEP=1 keeps WORK) instead of ingesting the pages again.
# REUSE=DIR runs on a kept WORK as it is (its ingest, single, part0 and part1
# data directories, already caught up): only the queries are measured.
# TIMEOUT (seconds, default 7200) bounds each replica's catch-up.
#
# Time on an idle 2-core machine (Release build): 10k ~4 min; 100k from raw
# pages ~35 min (the full replica and the two partition replicas index
# 100k + 2 x 50k articles at 12-17 ms of CPU each, ~25 min on 2 cores, while
# ingest runs; then their compaction and ~5 min of queries), ~30 min with
# INGEST_DATA, ~5 min with REUSE. The catch-up table says where it went.
set -euo pipefail
build="$(cd "${1:?usage: $0 BUILD_DIR [SIZE]}" && pwd)"
size="${2:-10k}"
data="${PEERS_DATA:-${TMPDIR:-/tmp}/newsearch-peers/data}"
queries_tsv="${QUERIES:-/work/shared/peers/queries.txt}"
passes="${PASSES:-3}"
ingest_bin="$build/ingest-service/server/newsearch-ingest"
search_bin="$build/search-service/server/newsearch-search"
cli="$build/tools/cli/newsearch"
bq="$build/bench/newsearch-bench-query"
for b in "$ingest_bin" "$search_bin" "$cli" "$bq"; do
  [ -x "$b" ] || { echo "router_bench: $b is not built" >&2; exit 1; }
done
raw="$data/raw_$size"
[ -d "$raw" ] || { echo "router_bench: no raw pages in $raw" >&2; exit 1; }

timeout="${TIMEOUT:-7200}"
# Disk: per article ~17.5 KB of store, and per replica (the full one, then
# the two halves) ~43 KB after the bulk load plus ~26 KB being compacted:
# ~160 KB per article in all at the peak (100k: ~16 GB). Checked up front
# rather than failing half an hour in; CHECK_DISK=0 skips the check.
if [ -z "${REUSE:-}" ] && [ "${CHECK_DISK:-1}" = 1 ]; then
  articles=$(ls "$raw" | wc -l)
  need_kb=$((articles * 160))
  free_kb=$(df -Pk "${TMPDIR:-/tmp}" | awk 'NR == 2 {print $4}')
  if [ "$free_kb" -lt "$need_kb" ]; then
    echo "router_bench: needs ~$((need_kb / 1048576 + 1)) GiB free under ${TMPDIR:-/tmp} for $articles pages, has $((free_kb / 1048576)) GiB (TMPDIR=elsewhere, or CHECK_DISK=0)" >&2
    exit 1
  fi
fi
if [ -n "${REUSE:-}" ]; then
  work="$(cd "$REUSE" && pwd)"
  for d in ingest single; do
    [ -d "$work/$d" ] || { echo "router_bench: REUSE=$work has no $d/" >&2; exit 1; }
  done
  KEEP=1
  rm -f "$work"/*.port
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/newsearch-router-bench.XXXXXX")"
fi
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
  [ "${KEEP:-0}" = 1 ] && echo "router_bench: kept $work (REUSE=$work to query it again)" >&2
  true
}
trap cleanup EXIT
log() { echo "router_bench: $*" >&2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A pid_of
start() {  # name binary flags...; waits for the port file
  local name=$1 bin=$2; shift 2
  "$bin" --listen=127.0.0.1:0 --port_file="$work/$name.port" "$@" >>"$work/$name.log" 2>&1 &
  pids+=($!)
  pid_of[$name]=$!
  for _ in $(seq 300); do [ -s "$work/$name.port" ] && return 0; sleep 0.1; done
  echo "router_bench: $name did not start (log $work/$name.log)" >&2; exit 1
}
addr() { echo "127.0.0.1:$(cat "$work/$1.port")"; }

now() { date +%s.%N; }
since() { python3 -c 'import sys,time; print("%.0f" % (time.time() - float(sys.argv[1])))' "$1"; }
cpu_s() {  # CPU seconds (user + system) a process has used so far
  awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) / hz)}' "/proc/$1/stat" 2>/dev/null || echo "?"
}
if [ -n "${INGEST_DATA:-}" ] && [ -z "${REUSE:-}" ]; then
  log "copying the ingest store $INGEST_DATA"
  cp -r "$INGEST_DATA" "$work/ingest"
fi
t_start=$(now)
start ingest "$ingest_bin" --data_dir="$work/ingest" --fsync=false
iaddr=$(addr ingest)
p_single=$(free_port); p_0=$(free_port); p_1=$(free_port)
start single "$search_bin" --data_dir="$work/single" --ingest_address="$iaddr" \
  --shard_listen="127.0.0.1:$p_single"
partitions=0
help=$("$search_bin" --helpfull 2>&1 || true)  # (grep -q in a pipe would SIGPIPE it)
if grep -q -- '--partition ' <<<"$help"; then
  partitions=2
  start part0 "$search_bin" --data_dir="$work/part0" --ingest_address="$iaddr" \
    --partition=0/2 --shard_listen="127.0.0.1:$p_0"
  start part1 "$search_bin" --data_dir="$work/part1" --ingest_address="$iaddr" \
    --partition=1/2 --shard_listen="127.0.0.1:$p_1"
else
  log "this newsearch-search has no --partition: measuring 1 partition only"
fi

ingest_s=0
if [ -z "${INGEST_DATA:-}" ] && [ -z "${REUSE:-}" ]; then
  log "ingesting $(ls "$raw" | wc -l) pages"
  # Pages the parser refuses (too short) fail alone; the rest is stored.
  "$cli" --ingest="$iaddr" ingest "$raw" >"$work/ingest_cli.txt" 2>&1 || true
  ingest_s=$(since "$t_start")
fi
catchup=()
caught_up() {  # name: waits (in the background) and writes WORK/name.caught
  "$cli" --ingest="$iaddr" --search="$(addr "$1")" wait --timeout "$timeout" \
    >"$work/$1.wait" 2>&1 || { echo "failed" >"$work/$1.caught"; return; }
  echo "$(since "$t_start") $(cpu_s "${pid_of[$1]}")" >"$work/$1.caught"
}
replicas="single $([ "$partitions" = 2 ] && echo part0 part1)"
log "waiting for $replicas to catch up (at most ${timeout}s each)"
waiters=()
for r in $replicas; do caught_up "$r" & waiters+=($!); done
wait "${waiters[@]}"
for r in $replicas; do
  read -r r_s r_cpu <"$work/$r.caught"
  [ "$r_s" != failed ] || { echo "router_bench: $r did not catch up ($work/$r.wait)" >&2; exit 1; }
  r_docs=$("$cli" --search="$(addr "$r")" status 2>/dev/null | awk '/^documents/ {print $2}')
  catchup+=("| $r | $r_docs | $r_s | $r_cpu |")
done
docs=$("$cli" --search="$(addr single)" status 2>/dev/null | awk '/^documents/ {print $2}')
log "indexed: $docs articles in $work; waiting for compaction to settle"
sleep 5
# An idle replica compacts once it applied --compact_after_changes (5000)
# changes; let that finish before timing queries (at 100k it takes minutes
# and would share the cores). Not after REUSE: nothing was applied.
if [ -z "${REUSE:-}" ]; then
  for r in single $([ "$partitions" = 2 ] && echo part0 part1); do
    r_docs=$("$cli" --search="$(addr "$r")" status 2>/dev/null | awk '/^documents/ {print $2}')
    [ "${r_docs:-0}" -ge 5000 ] || continue
    for _ in $(seq 900); do grep -q '"index compacted"' "$work/$r.log" && break; sleep 1; done
  done
  log "compacted after $(since "$t_start")s"
fi

start router1 "$search_bin" --shards="127.0.0.1:$p_single"
[ "$partitions" = 2 ] && start router2 "$search_bin" --shards="127.0.0.1:$p_0;127.0.0.1:$p_1"
sleep 2  # routers probe their shards

awk -F'\t' 'NF >= 3 {print $3}' "$queries_tsv" >"$work/queries.txt"
[ -s "$work/queries.txt" ] || cp "$queries_tsv" "$work/queries.txt"
run() {  # label address extra-flags...
  local label=$1 address=$2; shift 2
  "$bq" --search="$address" --queries="$work/queries.txt" --passes="$passes" --warmup_passes=1 \
    --page_size=10 "$@" >"$work/bq.txt" 2>&1 || { cat "$work/bq.txt" >&2; exit 1; }
  local result
  result=$(grep '^RESULT' "$work/bq.txt")
  python3 - "$label" "$result" <<'PY'
import sys
label, result = sys.argv[1:]
kv = dict(x.split("=", 1) for x in result.split()[1:] if "=" in x)
print(f"| {label} | {kv.get('p50_ms','?')} | {kv.get('p95_ms','?')} | {kv.get('p99_ms','?')} | {kv.get('qps', kv.get('queries_per_s','?'))} |")
PY
}
echo "Corpus: $raw ($docs articles), $(wc -l <"$work/queries.txt") queries, $passes passes, one client."
echo "Build: $build ($(grep -m1 '^CMAKE_BUILD_TYPE' "$build/CMakeCache.txt" 2>/dev/null | cut -d= -f2))."
echo "Load average before the queries: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
if [ -z "${REUSE:-}" ]; then
  echo "Ingest: ${ingest_s}s ($([ -n "${INGEST_DATA:-}" ] && echo "store copied from $INGEST_DATA" || echo "raw pages"))."
  echo "The replicas index at the same time; CPU seconds are load-independent."
  echo
  echo "| replica | documents | seconds to caught up (from start) | CPU seconds |"
  echo "|---|---|---|---|"
  printf '%s\n' "${catchup[@]}"
  echo
fi
echo "| target | p50 ms | p95 ms | p99 ms | queries/s |"
echo "|---|---|---|---|---|"
for facets in "" "--include_facets"; do
  suffix=${facets:+, exact facets}
  run "single replica$suffix" "$(addr single)" $facets
  run "router, 1 partition$suffix" "$(addr router1)" $facets
  [ "$partitions" = 2 ] && run "router, 2 partitions$suffix" "$(addr router2)" $facets
done
