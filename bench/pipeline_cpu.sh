#!/usr/bin/env bash
# CPU of each process of a bulk load: newsearch-ingest and newsearch-search
# (default flags) started empty on loopback, `newsearch ingest PAGES`, then
# `newsearch wait` (which includes the compaction after a bulk load). Prints
# the time until every page was acknowledged and until all are searchable,
# the CPU seconds of both servers (from /proc/PID/stat) at each point, the
# CLI's CPU, and the sizes of index and store. Nothing else should run.
#
# Usage: bench/pipeline_cpu.sh PAGES_DIR [BUILD_DIR]
#   PAGES_DIR  raw pages, e.g. ../shared/peers' raw_100k
#   BUILD_DIR  a build tree holding the three programs (default: build-rel)
# Extra server flags: NEWSEARCH_INGEST_FLAGS, NEWSEARCH_SEARCH_FLAGS.
# Data goes to a temporary folder under ${TMPDIR:-/tmp}, removed at the end.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
pages="${1:?usage: bench/pipeline_cpu.sh PAGES_DIR [BUILD_DIR]}"
build="${2:-$here/build-rel}"
ingest_bin="$build/ingest-service/server/newsearch-ingest"
search_bin="$build/search-service/server/newsearch-search"
cli="$build/tools/cli/newsearch"
for b in "$ingest_bin" "$search_bin" "$cli"; do
  [ -x "$b" ] || { echo "missing $b (build it, or pass BUILD_DIR)" >&2; exit 1; }
done
work="$(mktemp -d "${TMPDIR:-/tmp}/newsearch-pipeline.XXXXXX")"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

cpu_seconds() { awk '{ printf "%.1f", ($14 + $15) / 100 }' "/proc/$1/stat"; }
start() {  # name binary flags...; waits for the port file
  local name=$1 bin=$2
  shift 2
  "$bin" --listen=127.0.0.1:0 --port_file="$work/$name.port" --data_dir="$work/$name" "$@" \
    >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do [ -s "$work/$name.port" ] && return 0; sleep 0.1; done
  echo "newsearch-$name did not start (log $work/$name.log)" >&2
  exit 1
}
# shellcheck disable=SC2086
start ingest "$ingest_bin" ${NEWSEARCH_INGEST_FLAGS:-}
ingest_pid=${pids[0]}
NEWSEARCH_INGEST_ADDRESS="127.0.0.1:$(cat "$work/ingest.port")"
export NEWSEARCH_INGEST_ADDRESS
# shellcheck disable=SC2086
start search "$search_bin" --ingest_address="$NEWSEARCH_INGEST_ADDRESS" ${NEWSEARCH_SEARCH_FLAGS:-}
search_pid=${pids[1]}
NEWSEARCH_SEARCH_ADDRESS="127.0.0.1:$(cat "$work/search.port")"
export NEWSEARCH_SEARCH_ADDRESS

n="$(find "$pages" -maxdepth 1 -type f -o -maxdepth 1 -type l | wc -l)"
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo); $n pages"
echo "build: $build ($(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?'))"
t0="$(date +%s.%N)"
/usr/bin/time -f "%U %S" -o "$work/cli.time" "$cli" ingest "$pages" >"$work/cli.out" 2>&1
t1="$(date +%s.%N)"
echo "acknowledged after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s:" \
  "ingest CPU $(cpu_seconds "$ingest_pid") s, search CPU $(cpu_seconds "$search_pid") s," \
  "CLI CPU $(awk '{ printf "%.1f", $1 + $2 }' "$work/cli.time") s"
"$cli" wait --timeout 14400 >>"$work/cli.out" 2>&1
t2="$(date +%s.%N)"
ingest_cpu="$(cpu_seconds "$ingest_pid")"
search_cpu="$(cpu_seconds "$search_pid")"
awk -v a="$t0" -v b="$t2" -v n="$n" -v i="$ingest_cpu" -v s="$search_cpu" 'BEGIN {
  printf "searchable after %.1f s (%.0f pages/s): ingest CPU %.1f s (%.2f ms/page), search CPU %.1f s (%.2f ms/page)\n",
    b - a, n / (b - a), i, 1000 * i / n, s, 1000 * s / n }'
echo "index $(du -sm "$work/search" | cut -f1) MB, store $(du -sm "$work/ingest" | cut -f1) MB"
