#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, starts
# newsearch-ingest (127.0.0.1:50051) and newsearch-search (127.0.0.1:50052) in
# the background with their data under ./data (or $NEWSEARCH_DEMO_DIR),
# ingests the sample pages shipped in the repo, and answers a few searches.
# Installs only what running needs (scripts/install-deps.sh run); one line per
# step, the full output in build/logs/setup.log. It shares the build directory
# and flags with scripts/test.sh, so either one after the other only builds
# what is missing.
#
#   scripts/demo.sh          install, build, (re)start, ingest, search
#   scripts/demo.sh stop     stop both services (SIGTERM: they commit and exit)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${NEWSEARCH_BUILD_DIR:-$here/build}"
export NEWSEARCH_BUILD_DIR="$build"
data="${NEWSEARCH_DEMO_DIR:-$here/data}"
ingest_addr="127.0.0.1:50051"
search_addr="127.0.0.1:50052"

stop() {
  for name in search ingest; do
    pidfile="$data/$name.pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      kill -TERM "$(cat "$pidfile")"
      for _ in $(seq 1 100); do
        kill -0 "$(cat "$pidfile")" 2>/dev/null || break
        sleep 0.1
      done
      echo "stopped newsearch-$name"
    fi
    rm -f "$pidfile"
  done
}

# Starts one server in the background and waits until it serves.
start_server() {
  local name="$1" binary="$2"
  shift 2
  rm -f "$data/$name.port"
  nohup "$binary" --port_file="$data/$name.port" "$@" >"$data/$name.log" 2>&1 &
  echo $! >"$data/$name.pid"
  for _ in $(seq 1 100); do
    [ -s "$data/$name.port" ] && return 0
    if ! kill -0 "$(cat "$data/$name.pid")" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "newsearch-$name did not start; its log ($data/$name.log):" >&2
  tail -n 20 "$data/$name.log" >&2
  exit 1
}

if [ "${1:-start}" = "stop" ]; then
  stop
  exit 0
fi

# shellcheck source=scripts/lib.sh
source "$here/scripts/lib.sh"
echo "newsearch demo (full output in $NEWSEARCH_LOG)"
step "installing what is missing (apt; a few minutes the first time)" \
  "$here/scripts/install-deps.sh" run
step "building the services and the CLI (about 10 min the first time on 2 cores)" \
  env NEWSEARCH_TARGETS="newsearch-ingest newsearch-search newsearch-cli" \
  "$here/scripts/build.sh" -DNEWSEARCH_BUILD_TESTS=OFF
mkdir -p "$data"
stop >/dev/null
echo "[$(newsearch_elapsed)] starting newsearch-ingest and newsearch-search"

start_server ingest "$build/ingest-service/server/newsearch-ingest" \
  --listen="$ingest_addr" --data_dir="$data/ingest"
start_server search "$build/search-service/server/newsearch-search" \
  --listen="$search_addr" --data_dir="$data/search" --ingest_address="$ingest_addr"

cli="$build/tools/cli/newsearch"
export NEWSEARCH_INGEST_ADDRESS="$ingest_addr" NEWSEARCH_SEARCH_ADDRESS="$search_addr"
echo "[$(newsearch_elapsed)] ingesting the sample pages"
"$cli" ingest "$here/tests/testdata/pages/samples" \
  "$here/tests/testdata/pages/seeds" || true
"$cli" wait --timeout 60
"$cli" status
for q in "互联网 党建" "網絡" "title:乌镇 OR 淘宝村"; do
  echo
  echo "== newsearch search '$q'"
  "$cli" search --page_size 3 "$q"
done

cat <<MSG

newsearch is running:
  ingest  $ingest_addr   (log $data/ingest.log, store $data/ingest/articles.db)
  search  $search_addr   (log $data/search.log, index $data/search/xapian)
The CLI is $cli; to call it as \`newsearch\`:
       export PATH="$build/tools/cli:\$PATH"
Try:   newsearch search '淘宝村'
  or   buf curl --protocol grpc --http2-prior-knowledge --reflect-protocol grpc-v1alpha \\
         --data '{"query":"网络"}' http://$search_addr/newsearch.v1.SearchService/Search
Stop:  scripts/demo.sh stop      (data stays in $data; delete it to start afresh)
MSG
