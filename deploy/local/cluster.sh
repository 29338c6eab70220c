#!/usr/bin/env bash
# A local stand-in for the Kubernetes deployment: one newsearch-ingest and
# three newsearch-search replicas on loopback ports, each with its own data
# directory under a temporary directory. It
#   1. ingests the repository's sample and seed pages and generated pages,
#      and waits until every replica has applied them;
#   2. kills replica 2 with SIGKILL while more pages stream in, ingests a
#      deletion, and restarts replica 2 on its old data directory;
#   3. waits (`newsearch wait`) and checks that every replica reports lag 0 at
#      the ingest head with the same document count, and that all replicas
#      return identical results for a set of queries.
# When the servers have the agreed security flags (--auth_token_file,
# --ingest_token_file, --health_listen) it runs them as deploy/k8s does: a
# bearer token that search presents to ingest and the CLI sends (a call
# without it must be UNAUTHENTICATED), and gRPC health on a plaintext listener
# of its own, where every server must answer the probes' "liveness" and ""
# (readiness) with SERVING (through `buf curl` and grpc-proto's health.proto).
# Every process it started is stopped on exit, whatever happens.
#
#   deploy/local/cluster.sh BUILD_DIR
# NEWSEARCH_CLUSTER_KEEP=1 keeps the temporary directory (logs, data).
# NEWSEARCH_CLUSTER_PAGES=N sets the generated pages per batch (default 200).
set -euo pipefail
if [ "$#" -ne 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 64
fi
build="$(cd "$1" && pwd)"
here="$(cd "$(dirname "$0")/../.." && pwd)"
ingest_bin="$build/ingest-service/server/newsearch-ingest"
search_bin="$build/search-service/server/newsearch-search"
cli="$build/tools/cli/newsearch"
for b in "$ingest_bin" "$search_bin" "$cli"; do
  if [ ! -x "$b" ]; then
    echo "cluster: $b is not built" >&2
    exit 1
  fi
done
pages_per_batch="${NEWSEARCH_CLUSTER_PAGES:-200}"
replicas=3

tmp="$(mktemp -d "${TMPDIR:-/tmp}/newsearch-cluster.XXXXXX")"
declare -A pid=()
declare -A port=()
started_at=$SECONDS

log() { echo "cluster [$((SECONDS - started_at))s]: $*"; }

cleanup() {
  local status=$?
  local name p order=()
  # Replicas first, so they do not log ingest going away.
  for name in "${!pid[@]}"; do [ "$name" != ingest ] && order+=("$name"); done
  [ -n "${pid[ingest]:-}" ] && order+=(ingest)
  for name in "${order[@]}"; do
    p="${pid[$name]}"
    kill -TERM "$p" 2>/dev/null || true
    [ "$name" = ingest ] || continue
  done
  for name in "${order[@]}"; do
    p="${pid[$name]}"
    for _ in $(seq 1 50); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$p" 2>/dev/null; then
      echo "cluster: $name (pid $p) ignored SIGTERM for 5s; killing it" >&2
      kill -KILL "$p" 2>/dev/null || true
    fi
    wait "$p" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    for f in "$tmp"/*.log; do
      [ -f "$f" ] || continue
      echo "---- last lines of $(basename "$f")" >&2
      tail -n 15 "$f" >&2
    done
  fi
  if [ "${NEWSEARCH_CLUSTER_KEEP:-0}" = 1 ]; then
    echo "cluster: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() {
  echo "cluster: FAIL: $*" >&2
  exit 1
}

# start NAME BINARY FLAGS...: starts a server on port 0, waits for its port file.
start() {
  local name="$1" binary="$2"
  shift 2
  rm -f "$tmp/$name.port"
  "$binary" --listen=127.0.0.1:0 --port_file="$tmp/$name.port" "$@" \
    >>"$tmp/$name.log" 2>&1 &
  pid[$name]=$!
  for _ in $(seq 1 200); do
    if [ -s "$tmp/$name.port" ]; then
      port[$name]="$(cat "$tmp/$name.port")"
      return 0
    fi
    kill -0 "${pid[$name]}" 2>/dev/null || die "$name exited while starting"
    sleep 0.1
  done
  die "$name did not write its port file within 20s"
}

# The deployment's security and health settings, when the servers have them.
secure=0
"$ingest_bin" --helpfull >"$tmp/ingest.flags" 2>&1 || true
"$search_bin" --helpfull >"$tmp/search.flags" 2>&1 || true
if grep -q -- '--auth_token_file' "$tmp/ingest.flags" &&
   grep -q -- '--ingest_token_file' "$tmp/search.flags" &&
   grep -q -- '--health_listen' "$tmp/search.flags"; then
  secure=1
fi
ingest_flags=()
search_flags=()
cli_flags=()
declare -A health_port=()
if [ "$secure" = 1 ]; then
  head -c 24 /dev/urandom | base64 >"$tmp/token"
  ingest_flags+=(--auth_token_file="$tmp/token")
  search_flags+=(--ingest_token_file="$tmp/token")
  cli_flags+=(--token_file "$tmp/token")
  # The health listener has no port file: take free ports now.
  mapfile -t free_ports < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))')
  health_port[ingest]="${free_ports[0]}"
  for i in 1 2 3; do health_port[search-$i]="${free_ports[$i]}"; done
  ingest_flags+=(--health_listen="127.0.0.1:${health_port[ingest]}")
fi

# Replicas log at info: the "following change log" line shows where each
# (re)start resumed.
start_search() {
  local i="$1"
  local extra=()
  [ "$secure" = 1 ] && extra=(--health_listen="127.0.0.1:${health_port[search-$i]}")
  start "search-$i" "$search_bin" --data_dir="$tmp/search-$i" \
    --ingest_address="127.0.0.1:${port[ingest]}" --log_level=info \
    "${search_flags[@]}" "${extra[@]}"
}

cli_to() {
  local i="$1"
  shift
  "$cli" "${cli_flags[@]}" --ingest "127.0.0.1:${port[ingest]}" \
    --search "127.0.0.1:${port[search-$i]}" "$@"
}

wait_all() {
  local i
  for i in $(seq 1 "$replicas"); do
    cli_to "$i" --timeout 45 wait >"$tmp/wait-$i.out" 2>&1 ||
      die "replica $i did not catch up: $(cat "$tmp/wait-$i.out")"
  done
}

ingest() {
  local out="$1"
  shift
  "$cli" "${cli_flags[@]}" --ingest "127.0.0.1:${port[ingest]}" ingest "$@" >"$out" 2>&1 ||
    die "ingest $* failed: $(tail -n 5 "$out")"
}

# Only search replicas are killed here; the ingest process stays up, which
# --fsync=false survives.
start ingest "$ingest_bin" --data_dir="$tmp/ingest" --fsync=false --heartbeat_seconds=1 \
  --log_level=warning "${ingest_flags[@]}"
for i in $(seq 1 "$replicas"); do start_search "$i"; done
log "ingest on ${port[ingest]}, search replicas on ${port[search-1]} ${port[search-2]} ${port[search-3]}"
if [ "$secure" = 1 ]; then
  log "as deployed: bearer token on ingest, health listeners on ${health_port[*]}"
else
  log "these servers lack the agreed security flags: plaintext, no token, no health listeners"
fi

python3 "$here/tools/gen_pages.py" --count "$pages_per_batch" --seed 11 --out "$tmp/pages-1" >/dev/null
python3 "$here/tools/gen_pages.py" --count "$pages_per_batch" --seed 12 --out "$tmp/pages-2" >/dev/null

ingest "$tmp/ingest-1.out" "$here/tests/testdata/pages/samples" "$here/tests/testdata/pages/seeds" \
  "$tmp/pages-1"
wait_all
log "batch 1 applied by all replicas: $(tail -n 1 "$tmp/wait-1.out")"

# Replica 2 dies hard while batch 2 streams in; the others keep following.
head_1="$(sed -n 's/.*applied_seq \([0-9]*\),.*/\1/p' "$tmp/wait-1.out")"
ingest "$tmp/ingest-2.out" "$tmp/pages-2" &
ingest_job=$!
# Kill it once it has started applying batch 2 (or after 10s at the latest).
applied_2=0
for _ in $(seq 1 100); do
  applied_2="$(cli_to 2 --json status 2>/dev/null |
    sed -n 's/.*"appliedSeq":"\([0-9]*\)".*/\1/p')"
  [ "${applied_2:-0}" -gt "$head_1" ] && break
  sleep 0.1
done
kill -KILL "${pid[search-2]}"
wait "${pid[search-2]}" 2>/dev/null || true
unset 'pid[search-2]'
log "killed replica 2 with SIGKILL during batch 2 (applied_seq ${applied_2:-?}, batch 1 ended at $head_1)"
wait "$ingest_job" || die "batch 2 ingest failed"

# A deletion too, so the restarted replica must apply a tombstone it missed.
victim="$("$cli" "${cli_flags[@]}" --ingest "127.0.0.1:${port[ingest]}" --json list --page_size 1 |
  python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())["articles"][0]["id"])')"
"$cli" "${cli_flags[@]}" --ingest "127.0.0.1:${port[ingest]}" delete "$victim" >/dev/null ||
  die "delete $victim failed"
[ -d "$tmp/search-2" ] || die "replica 2 left no data directory"
start_search 2
log "restarted replica 2 on its data directory (port ${port[search-2]}); deleted $victim"
wait_all
# The restarted replica resumed from what its index had committed, not from 0.
resumed_after="$(grep '"following change log"' "$tmp/search-2.log" | tail -n 1 |
  sed -n 's/.*"after_seq":\([0-9]*\).*/\1/p')"
[ -n "$resumed_after" ] && [ "$resumed_after" -ge "$head_1" ] ||
  die "restarted replica 2 did not resume from its index (after_seq '${resumed_after}')"
log "replica 2 resumed after seq $resumed_after from its own index"

# Every replica at the ingest head, lag 0, same documents.
for i in $(seq 1 "$replicas"); do
  cli_to "$i" --json status >"$tmp/status-$i.json" || die "status of replica $i failed"
done
python3 - "$tmp" "$replicas" <<'PY' || die "replicas disagree on their status"
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
statuses = [json.load(open(f"{tmp}/status-{i}.json")) for i in range(1, n + 1)]
ok = True
for i, s in enumerate(statuses, 1):
    applied, head = int(s.get("appliedSeq", 0)), int(s.get("headSeq", 0))
    lag, docs = int(s.get("lag", 0)), int(s.get("documentCount", 0))
    print(f"replica {i}: applied_seq {applied} head_seq {head} lag {lag} "
          f"following {s.get('following', False)} documents {docs}")
    if lag != 0 or applied != head or not s.get("following") or docs == 0:
        print(f"  replica {i} has not caught up"); ok = False
if len({int(s.get("documentCount", 0)) for s in statuses}) != 1:
    print("  document counts differ"); ok = False
if len({int(s.get("appliedSeq", 0)) for s in statuses}) != 1:
    print("  applied_seq differs"); ok = False
sys.exit(0 if ok else 1)
PY

# Identical results from every replica for each query.
queries=("互联网 党建" "網絡" "title:乌镇 OR 淘宝村" "铁观音" "客輪復航" "龙舟" "记者"
         "经济 发展" "北京" "\"智慧港口\"" "公司 NOT 北京" "乡村图书馆")
# Each replica answers all queries (replicas in parallel), then the answers
# are compared byte for byte.
query_replica() {
  local i="$1" n
  for n in "${!queries[@]}"; do
    cli_to "$i" --json search --page_size 20 "${queries[$n]}" >"$tmp/q-$n-$i.json" 2>"$tmp/q-$n-$i.err" ||
      echo "replica $i: search '${queries[$n]}' failed: $(cat "$tmp/q-$n-$i.err")"
  done
}
query_jobs=()
for i in $(seq 1 "$replicas"); do
  query_replica "$i" >"$tmp/queries-$i.err" &
  query_jobs+=($!)
done
wait "${query_jobs[@]}"
cat "$tmp"/queries-*.err >"$tmp/queries.err"
[ -s "$tmp/queries.err" ] && die "$(cat "$tmp/queries.err")"
python3 -c 'import json, sys
for path in sys.argv[1:]:
    text = open(path).read().strip()
    print(len(json.loads(text).get("hits", [])) if text else 0)' \
  $(for n in "${!queries[@]}"; do echo "$tmp/q-$n-1.json"; done) >"$tmp/hit-counts"
mapfile -t hit_counts <"$tmp/hit-counts"
nonempty=0
for n in "${!queries[@]}"; do
  q="${queries[$n]}"
  for i in $(seq 2 "$replicas"); do
    cmp -s "$tmp/q-$n-1.json" "$tmp/q-$n-$i.json" ||
      die "replica $i answers '$q' differently from replica 1: $(diff "$tmp/q-$n-1.json" "$tmp/q-$n-$i.json" | head -c 600)"
  done
  grep -q "$victim" "$tmp/q-$n-1.json" && die "deleted article $victim still found by '$q'"
  hits="${hit_counts[$n]}"
  [ "$hits" -gt 0 ] && nonempty=$((nonempty + 1))
  log "'$q': $hits hits, identical on all $replicas replicas"
done
[ "$nonempty" -ge $((${#queries[@]} / 2)) ] ||
  die "only $nonempty of ${#queries[@]} queries found anything: the comparison proves little"
if [ "$secure" = 1 ]; then
  # A write without the token is refused.
  if "$cli" --ingest "127.0.0.1:${port[ingest]}" delete "$victim" >"$tmp/noauth.out" 2>&1; then
    die "ingest accepted a delete without the token"
  fi
  grep -q UNAUTHENTICATED "$tmp/noauth.out" ||
    die "a delete without the token failed otherwise: $(cat "$tmp/noauth.out")"
  # What the kubelet's gRPC probes ask, on the plaintext health listeners.
  health_proto="$(ls /usr/share/grpc-proto/grpc/health/v1/health.proto)"
  probe_jobs=()
  for name in ingest search-1 search-2 search-3; do
    for service in liveness ""; do
      (buf curl --schema "$health_proto" --protocol grpc --http2-prior-knowledge \
        --data "{\"service\":\"$service\"}" \
        "http://127.0.0.1:${health_port[$name]}/grpc.health.v1.Health/Check" \
        >"$tmp/health-$name-${service:-ready}.json" 2>&1 || true) &
      probe_jobs+=($!)
    done
  done
  wait "${probe_jobs[@]}"
  for name in ingest search-1 search-2 search-3; do
    for service in liveness ready; do
      grep -q '"SERVING"' "$tmp/health-$name-$service.json" ||
        die "$name health ($service) on port ${health_port[$name]}: $(cat "$tmp/health-$name-$service.json")"
    done
  done
  log "token required by ingest (UNAUTHENTICATED without it); liveness and readiness SERVING on all 4 health listeners"
fi
log "PASS: $replicas replicas identical on ${#queries[@]} queries after a SIGKILL and restart"
