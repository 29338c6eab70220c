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

work="$(mktemp -d "${TMPDIR:-/tmp}/newsearch-router-bench.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
log() { echo "router_bench: $*" >&2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() {  # name binary flags...; waits for the port file
  local name=$1 bin=$2; shift 2
  "$bin" --listen=127.0.0.1:0 --port_file="$work/$name.port" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do [ -s "$work/$name.port" ] && return 0; sleep 0.1; done
  echo "router_bench: $name did not start (log $work/$name.log)" >&2; exit 1
}
addr() { echo "127.0.0.1:$(cat "$work/$1.port")"; }

if [ -n "${INGEST_DATA:-}" ]; then cp -r "$INGEST_DATA" "$work/ingest"; fi
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

if [ -z "${INGEST_DATA:-}" ]; then
  log "ingesting $(ls "$raw" | wc -l) pages"
  # Pages the parser refuses (too short) fail alone; the rest is stored.
  "$cli" --ingest="$iaddr" ingest "$raw" >"$work/ingest_cli.txt" 2>&1 || true
fi
for r in single $([ "$partitions" = 2 ] && echo part0 part1); do
  "$cli" --ingest="$iaddr" --search="$(addr "$r")" wait --timeout 3600 >>"$work/ingest_cli.txt" 2>&1
done
docs=$("$cli" --search="$(addr single)" status 2>/dev/null | awk '/^documents/ {print $2}')
log "indexed: $docs articles in $work; waiting for compaction to settle"
sleep 5

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
echo "Build: $build. Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| target | p50 ms | p95 ms | p99 ms | queries/s |"
echo "|---|---|---|---|---|"
for facets in "" "--include_facets"; do
  suffix=${facets:+, exact facets}
  run "single replica$suffix" "$(addr single)" $facets
  run "router, 1 partition$suffix" "$(addr router1)" $facets
  [ "$partitions" = 2 ] && run "router, 2 partitions$suffix" "$(addr router2)" $facets
done
