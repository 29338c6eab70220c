#!/usr/bin/env bash
# Time until a new search replica serves a caught-up index: replaying the
# change log from seq 0 vs copying a running replica's snapshot
# (--bootstrap_from, README "New replicas from a snapshot").
#
# Usage:
#   NEWSEARCH_BIN=DIR RAW=DIR_OF_RAW_PAGES bench/bootstrap_bench.sh
#   NEWSEARCH_BIN=DIR INGEST_DATA=DIR bench/bootstrap_bench.sh
# NEWSEARCH_BIN holds newsearch-ingest, newsearch-search and newsearch (an
# install's bin/, Release build for figures). RAW is a directory of raw pages
# (e.g. the peers' corpus: gen_corpus.py -n 10000 --raw-dir DIR);
# INGEST_DATA instead starts ingest on a copy of a filled ingest data
# directory (e.g. a kept router_bench.sh run's WORK/ingest), skipping the
# ingest. Extra search flags: NEWSEARCH_SEARCH_FLAGS (e.g. --partition=0/2).
# TIMEOUT (seconds, default 7200) bounds each replica's catch-up. KEEP=1
# keeps the work directory. Prints one markdown table: documents, index
# bytes, seconds to caught up and CPU seconds for each way.
#
# Time on an idle 2-core machine (Release build): 10k ~2 min; 100k ~20-25
# min (ingest ~6 min unless INGEST_DATA; replay ~15 min: 12-17 ms of CPU per
# article, on 2 writer threads; A's compaction and the snapshot ~1-2 min).
set -euo pipefail
: "${NEWSEARCH_BIN:?set NEWSEARCH_BIN to the folder holding the three binaries}"
[ -n "${RAW:-}" ] || [ -n "${INGEST_DATA:-}" ] ||
  { echo "set RAW to a directory of raw pages or INGEST_DATA to a filled ingest data dir" >&2; exit 1; }
TIMEOUT=${TIMEOUT:-7200}
# Disk at the peak: the store (~17.5 KB per article), A's index after the
# replay (~43 KB) and its compacted copy (~26 KB), A's snapshot copy and B's
# (~26 KB each): ~140 KB per article, ~8 times the store (100k: ~14 GB).
# CHECK_DISK=0 skips the check.
if [ "${CHECK_DISK:-1}" = 1 ]; then
  if [ -n "${INGEST_DATA:-}" ]; then
    need_kb=$(( $(du -sk "$INGEST_DATA" | cut -f1) * 8 ))
  else
    need_kb=$(( $(ls "$RAW" | wc -l) * 140 ))
  fi
  free_kb=$(df -Pk "${TMPDIR:-/tmp}" | awk 'NR == 2 {print $4}')
  if [ "$free_kb" -lt "$need_kb" ]; then
    echo "needs ~$((need_kb / 1048576 + 1)) GiB free under ${TMPDIR:-/tmp}, has $((free_kb / 1048576)) GiB (TMPDIR=elsewhere, or CHECK_DISK=0)" >&2
    exit 1
  fi
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/newsearch-bootstrap.XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

declare -A PID_OF
start() {  # name binary flags... ; returns when the port file is written
  local name=$1 bin=$2; shift 2
  "$bin" --listen=127.0.0.1:0 --port_file="$WORK/$name.port" --data_dir="$WORK/$name" "$@" \
    >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  PID_OF[$name]=$!
  for _ in $(seq 72000); do
    [ -s "$WORK/$name.port" ] && return 0
    kill -0 "$!" 2>/dev/null || { echo "$name exited (log $WORK/$name.log)" >&2; tail "$WORK/$name.log" >&2; exit 1; }
    sleep 0.05
  done
  echo "$name did not start" >&2; exit 1
}

if [ -n "${INGEST_DATA:-}" ]; then
  log "copying the ingest store $INGEST_DATA"
  cp -r "$INGEST_DATA" "$WORK/ingest"
fi
start ingest "$NEWSEARCH_BIN/newsearch-ingest" --fsync=false
IADDR=127.0.0.1:$(cat "$WORK/ingest.port")
if [ -z "${INGEST_DATA:-}" ]; then
  log "ingesting $(ls "$RAW" | wc -l) pages"
  # Exit status 2 when some pages are refused (the corpus has a few pages
  # with no article); the summary line says how many.
  "$NEWSEARCH_BIN/newsearch" --ingest="$IADDR" ingest "$RAW" >"$WORK/ingest_cli.txt" 2>&1 || true
  log "$(tail -1 "$WORK/ingest_cli.txt")"
fi

cpu_s() {  # CPU seconds (user + system) the process `name` has used so far
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/${PID_OF[$1]}/stat"
}
caught_up() {  # name t0 -> "seconds CPU-seconds" from launch (t0) until caught up with ingest's head
  local name=$1 t0=$2 addr
  addr=127.0.0.1:$(cat "$WORK/$name.port")
  "$NEWSEARCH_BIN/newsearch" --ingest="$IADDR" --search="$addr" wait --timeout="$TIMEOUT" \
    >"$WORK/$name.wait" 2>&1 || { echo "$name did not catch up ($WORK/$name.wait)" >&2; exit 1; }
  echo "$(python3 -c "import time,sys; print('%.1f' % (time.time() - float(sys.argv[1])))" "$t0") $(cpu_s "$name")"
}
docs() {
  "$NEWSEARCH_BIN/newsearch" --search="127.0.0.1:$(cat "$WORK/$1.port")" status |
    awk '/^documents/ {print $2}'
}

log "replica A: replay from seq 0"
t0=$(python3 -c 'import time; print(time.time())')
start replay "$NEWSEARCH_BIN/newsearch-search" --ingest_address="$IADDR" ${NEWSEARCH_SEARCH_FLAGS:-}
LOAD_A="$(cut -d' ' -f1-3 /proc/loadavg)"
read -r REPLAY_S REPLAY_CPU <<<"$(caught_up replay "$t0")"
[ -n "$REPLAY_S" ] || exit 1
# Let A's idle compaction after the bulk load run first, as on a replica
# that has been up for a while (it runs once --compact_after_changes, 5000
# by default, were applied).
for _ in $(seq 900); do grep -q '"index compacted"' "$WORK/replay.log" && break; sleep 1; done
A_BYTES=$(du -s -B1 "$WORK/replay/xapian" | cut -f1)

log "replica B: snapshot of A"
t0=$(python3 -c 'import time; print(time.time())')
start snapshot "$NEWSEARCH_BIN/newsearch-search" --ingest_address="$IADDR" \
  --bootstrap_from="127.0.0.1:$(cat "$WORK/replay.port")" ${NEWSEARCH_SEARCH_FLAGS:-}
read -r SNAP_S SNAP_CPU <<<"$(caught_up snapshot "$t0")"
[ -n "$SNAP_S" ] || exit 1
B_BYTES=$(du -s -B1 "$WORK/snapshot/xapian" | cut -f1)
A_DOCS=$(docs replay)
B_DOCS=$(docs snapshot)
[ "$A_DOCS" = "$B_DOCS" ] || { echo "document counts differ: A $A_DOCS, B $B_DOCS" >&2; exit 1; }
COPY=$(grep -o '"msg":"index bootstrapped".*' "$WORK/snapshot.log" | head -1)

echo "Load average when A started: $LOAD_A; at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| new replica | documents | index bytes | seconds to caught up | CPU seconds |"
echo "|---|---|---|---|---|"
echo "| replay from seq 0 | $A_DOCS | $A_BYTES | $REPLAY_S | $REPLAY_CPU |"
echo "| snapshot of a peer | $B_DOCS | $B_BYTES | $SNAP_S | $SNAP_CPU |"
echo
echo "A's compaction: $(grep -o '"msg":"index compacted".*' "$WORK/replay.log" | head -1)"
echo "A's snapshot: $(grep -o '"msg":"index snapshot streamed".*' "$WORK/replay.log" | head -1)"
echo "bootstrap log: $COPY"
