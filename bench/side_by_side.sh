#!/usr/bin/env bash
# newsearch vs Groonga on the peers' corpus, in one run on this machine, with
# pictures. newsearch gets the raw pages (parsed by ingest, over gRPC), Groonga
# the clean JSONL of the same articles; the table and the ratios come from the
# peers' ../shared/peers/side_by_side.sh (the script the performance targets
# are judged with), which runs Groonga through run_groonga.sh.
#
# Usage: bench/side_by_side.sh [10k|100k|N]        (default 10k)
#        KEEP=1 keeps the servers' data folders ($DATA/side.*) the peers' script leaves
#
# Builds the four programs in Release (build-rel/, or $NEWSEARCH_BENCH_BUILD_DIR),
# then writes bench/results/<date>-side-by-side-<size>-<commit>/ (or under
# $RESULTS_DIR): report.md (machine, commit, the table, the ratios),
# searchable.png (documents searchable over time during the bulk load, both
# systems), latency.png (query latency CDF, both systems) and the raw samples.
# The corpus is generated on first use (10k: a minute; 100k: ~20 minutes) under
# ${TMPDIR:-/tmp}/newsearch-peers/data and reused. Needs groonga-bin and
# python3-matplotlib (installed when missing, like the peers' scripts do).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size="${1:-${SIZE:-10k}}"
peers="${NEWSEARCH_PEERS_DIR:-$here/../shared/peers}"
build="${NEWSEARCH_BENCH_BUILD_DIR:-$here/build-rel}"
[ -x "$peers/side_by_side.sh" ] || { echo "no $peers/side_by_side.sh (set NEWSEARCH_PEERS_DIR)" >&2; exit 1; }
# shellcheck source=/dev/null
. "$peers/lib.sh"   # DATA, RESULTS, PASSES, QUERIES, log, ensure_pkgs
ensure_pkgs groonga-bin python3-matplotlib

commit="$(git -C "$here" rev-parse --short HEAD)"
dirty="$(git -C "$here" status --porcelain --untracked-files=no | head -c1)"
out="${RESULTS_DIR:-$here/bench/results}/$(date -u +%F)-side-by-side-$size-$commit${dirty:+-dirty}"
mkdir -p "$out"
work="$(mktemp -d "${TMPDIR:-/tmp}/newsearch-side.XXXXXX")"
sampler=""
trap '[ -n "$sampler" ] && kill "$sampler" 2>/dev/null; rm -rf "$work"' EXIT

log "Release build in $build"
CMAKE_BUILD_TYPE=Release NEWSEARCH_BUILD_DIR="$build" \
  NEWSEARCH_TARGETS="newsearch-ingest newsearch-search newsearch-cli newsearch-bench-query" \
  "$here/scripts/build.sh" -DNEWSEARCH_BUILD_TESTS=OFF >"$work/build.log" 2>&1 ||
  { tail -n 40 "$work/build.log" >&2; exit 1; }
cmake --install "$build" --prefix "$work/inst" >/dev/null
cli="$work/inst/bin/newsearch"

# The query timer as the peers' script calls it, keeping every latency.
cat >"$work/bench-query" <<SH
#!/bin/sh
exec "$build/bench/newsearch-bench-query" "\$@" --latencies_out="$out/newsearch_latencies.txt"
SH
chmod +x "$work/bench-query"

# The replica's document count every second while the load runs. The peers'
# script starts the servers in a fresh \$DATA/side.XXXXXX; the load is over
# when it starts timing queries (query.txt appears there).
touch "$work/start"
sample() {
  local dir="" addr t0 docs
  while [ -z "$dir" ]; do
    dir="$(find "$DATA" -maxdepth 1 -name 'side.*' -newer "$work/start" | head -n 1)"
    sleep 0.2
  done
  while [ ! -s "$dir/search.port" ]; do sleep 0.1; done
  addr="127.0.0.1:$(cat "$dir/search.port")"
  t0="$(date +%s.%N)"
  : >"$out/newsearch_searchable.tsv"
  one_sample() {
    docs="$(NEWSEARCH_SEARCH_ADDRESS="$addr" "$cli" status 2>/dev/null | awk '/^documents/ {print $2}')"
    [ -n "$docs" ] && awk -v now="$(date +%s.%N)" -v t0="$t0" -v docs="$docs" \
      'BEGIN { printf "%.1f\t%d\n", now - t0, docs }' >>"$out/newsearch_searchable.tsv"
  }
  while [ ! -e "$dir/query.txt" ]; do
    one_sample
    sleep 1
  done
  one_sample  # caught up: the last point is the whole corpus
}
sample &
sampler=$!

log "newsearch and Groonga, $size, one run (../shared/peers/side_by_side.sh)"
NEWSEARCH_BIN="$work/inst/bin" NEWSEARCH_BENCH_QUERY="$work/bench-query" SIZE="$size" \
  "$peers/side_by_side.sh" | tee "$out/side_by_side.md"
kill "$sampler" 2>/dev/null || true
sampler=""
# The peers' script leaves its servers' data behind (about 8 GB at 100k).
if [ "${KEEP:-0}" != 1 ]; then
  find "$DATA" -maxdepth 1 -name 'side.*' -newer "$work/start" -exec rm -rf {} +
fi

log "Groonga: per-query latencies for the distribution plot"
"$PY" "$here/bench/groonga_latency.py" "$DATA/groonga_$size" "$QUERIES" "$PASSES" \
  "$out/groonga_latencies.txt"
read -r g_load g_docs < <("$PY" -c 'import json, sys
r = json.load(open(sys.argv[1])); print(r["index_seconds"], r["docs"])' "$RESULTS/groonga_$size.json")
"$PY" "$here/bench/plot_side_by_side.py" "$out/newsearch_searchable.tsv" \
  "$out/newsearch_latencies.txt" "$out/groonga_latencies.txt" "$g_load" "$g_docs" "$out" \
  "$size articles, commit $commit"

{
  echo "# newsearch vs Groonga, $size, $(date -u '+%F %H:%M') UTC, commit $commit${dirty:+ (uncommitted changes)}"
  echo
  echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr);" \
    "load average at the end $(cut -d' ' -f1-3 /proc/loadavg). Release build. Command:" \
    "\`bench/side_by_side.sh $size\`."
  echo
  cat "$out/side_by_side.md"
  echo
  echo "![documents searchable during the bulk load](searchable.png)"
  echo "![query latency distribution](latency.png)"
  echo
  echo "Groonga's batch load builds its full-text index after loading: nothing is searchable" \
    "until it ends. Its latency distribution comes from bench/groonga_latency.py (same query" \
    "parameters as the peers' runner, one client, $PASSES timed passes)."
} >"$out/report.md"
log "wrote $out/report.md, searchable.png, latency.png"
