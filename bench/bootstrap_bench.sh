#!/usr/bin/env bash
# Time until a new search replica serves a caught-up index: replaying the
# change log from seq 0 vs copying a running replica's snapshot
# (--bootstrap_from, README "New replicas from a snapshot").
#
# Usage:
#   NEWSEARCH_BIN=DIR RAW=DIR_OF_RAW_PAGES bench/bootstrap_bench.sh
# NEWSEARCH_BIN holds newsearch-ingest, newsearch-search and newsearch (an
# install's bin/, Release build for figures). RAW is a directory of raw pages
# (e.g. the peers' corpus: gen_corpus.py -n 10000 --raw-dir DIR). Extra
# search flags: NEWSEARCH_SEARCH_FLAGS (e.g. --partition=0/2). Prints one
# markdown table: documents, index bytes, seconds to caught up for each way.
set -euo pipefail
: "${NEWSEARCH_BIN:?set NEWSEARCH_BIN to the folder holding the three binaries}"
: "${RAW:?set RAW to a directory of raw pages}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/newsearch-bootstrap.XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

start() {  # name binary flags... ; returns when the port file is written
  local name=$1 bin=$2; shift 2
  "$bin" --listen=127.0.0.1:0 --port_file="$WORK/$name.port" --data_dir="$WORK/$name" "$@" \
    >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 72000); do
    [ -s "$WORK/$name.port" ] && return 0
    kill -0 "$!" 2>/dev/null || { echo "$name exited (log $WORK/$name.log)" >&2; tail "$WORK/$name.log" >&2; exit 1; }
    sleep 0.05
  done
  echo "$name did not start" >&2; exit 1
}

start ingest "$NEWSEARCH_BIN/newsearch-ingest" --fsync=false
IADDR=127.0.0.1:$(cat "$WORK/ingest.port")
log "ingesting $(ls "$RAW" | wc -l) pages"
# Exit status 2 when some pages are refused (the corpus has a few pages
# with no article); the summary line says how many.
"$NEWSEARCH_BIN/newsearch" --ingest="$IADDR" ingest "$RAW" >"$WORK/ingest_cli.txt" 2>&1 || true
log "$(tail -1 "$WORK/ingest_cli.txt")"

caught_up() {  # name -> seconds from launch (t0) until the replica caught up with ingest's head
  local name=$1 t0=$2 addr
  addr=127.0.0.1:$(cat "$WORK/$name.port")
  "$NEWSEARCH_BIN/newsearch" --ingest="$IADDR" --search="$addr" wait --timeout=14400 \
    >"$WORK/$name.wait" 2>&1
  python3 -c "import time,sys; print('%.1f' % (time.time() - float(sys.argv[1])))" "$t0"
}
docs() {
  "$NEWSEARCH_BIN/newsearch" --search="127.0.0.1:$(cat "$WORK/$1.port")" status |
    awk '/^documents/ {print $2}'
}

log "replica A: replay from seq 0"
t0=$(python3 -c 'import time; print(time.time())')
start replay "$NEWSEARCH_BIN/newsearch-search" --ingest_address="$IADDR" ${NEWSEARCH_SEARCH_FLAGS:-}
REPLAY_S=$(caught_up replay "$t0")
# Let A's idle compaction after the bulk load run first, as on a replica
# that has been up for a while.
sleep 5
A_BYTES=$(du -s -B1 "$WORK/replay/xapian" | cut -f1)

log "replica B: snapshot of A"
t0=$(python3 -c 'import time; print(time.time())')
start snapshot "$NEWSEARCH_BIN/newsearch-search" --ingest_address="$IADDR" \
  --bootstrap_from="127.0.0.1:$(cat "$WORK/replay.port")" ${NEWSEARCH_SEARCH_FLAGS:-}
SNAP_S=$(caught_up snapshot "$t0")
B_BYTES=$(du -s -B1 "$WORK/snapshot/xapian" | cut -f1)
A_DOCS=$(docs replay)
B_DOCS=$(docs snapshot)
[ "$A_DOCS" = "$B_DOCS" ] || { echo "document counts differ: A $A_DOCS, B $B_DOCS" >&2; exit 1; }
COPY=$(grep -o '"msg":"index bootstrapped".*' "$WORK/snapshot.log" | head -1)

echo "| new replica | documents | index bytes | seconds to caught up |"
echo "|---|---|---|---|"
echo "| replay from seq 0 | $A_DOCS | $A_BYTES | $REPLAY_S |"
echo "| snapshot of a peer | $B_DOCS | $B_BYTES | $SNAP_S |"
echo
echo "bootstrap log: $COPY"
