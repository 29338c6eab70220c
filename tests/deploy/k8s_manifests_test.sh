#!/usr/bin/env bash
# Renders every kustomize overlay under deploy/k8s with `kubectl kustomize`
# and validates each object against the Kubernetes schemas and newsearch's own
# rules (tests/deploy/validate_manifests.js). Then breaks copies of the
# manifests on purpose, one way at a time, and requires each to fail: a
# validator that passes everything proves nothing.
#
#   tests/deploy/k8s_manifests_test.sh [SOURCE_DIR [BUILD_DIR]]
# With BUILD_DIR, every NEWSEARCH_<FLAG> setting must name a flag the built
# server has (or one the team agreed on, see validate_manifests.js).
# KUBECTL picks the kubectl (default: the one on PATH).
set -euo pipefail
src="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
build="${2:-}"
kubectl="${KUBECTL:-kubectl}"
validator="$src/tests/deploy/validate_manifests.js"

if ! command -v "$kubectl" >/dev/null 2>&1; then
  echo "FAIL: no kubectl (scripts/install-deps.sh installs Debian's kubernetes-client)" >&2
  exit 1
fi
NODE_PATH="$(npm root -g 2>/dev/null)"
export NODE_PATH
if ! node -e 'require("kubernetes-models/package.json"); require("yaml")' 2>/dev/null; then
  echo "FAIL: kubernetes-models and yaml are not installed in $NODE_PATH (run scripts/install-deps.sh)" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

flag_args=()
if [ -n "$build" ]; then
  for server in ingest search; do
    binary="$build/$server-service/server/newsearch-$server"
    if [ ! -x "$binary" ]; then
      echo "FAIL: $binary is not built" >&2
      exit 1
    fi
    "$binary" --helpfull 2>&1 | sed -n 's/^ *--\([a-z0-9_]*\).*/\1/p' | sort -u >"$work/$server.flags" || true
    if ! grep -qx data_dir "$work/$server.flags"; then
      echo "FAIL: could not read the flags of $binary (--helpfull)" >&2
      exit 1
    fi
    flag_args+=("--$server-flags" "$work/$server.flags")
  done
fi

# validate K8S_DIR OVERLAY OUT: renders and validates one overlay; output in OUT.
validate() {
  local dir="$1" overlay="$2" out="$3" args=()
  case "$overlay" in
    dev) args=(--namespace newsearch-dev --search-replicas 1) ;;
    prod) args=(--namespace newsearch --search-replicas 3 --tls) ;;
    partitioned) args=(--namespace newsearch --search-replicas 2 --partitions 2) ;;
    *) echo "no expectations for overlay $overlay" >"$out"; return 1 ;;
  esac
  if ! "$kubectl" kustomize "$dir/overlays/$overlay" >"$work/rendered.yaml" 2>"$work/kustomize.err"; then
    { echo "kubectl kustomize $dir/overlays/$overlay failed:"; cat "$work/kustomize.err"; } >"$out"
    return 1
  fi
  node "$validator" "$work/rendered.yaml" "${args[@]}" "${flag_args[@]}" >"$out" 2>&1
}

failures=0
overlays=()
for d in "$src"/deploy/k8s/overlays/*/; do overlays+=("$(basename "$d")"); done
if [ "${#overlays[@]}" -lt 3 ]; then
  echo "FAIL: expected overlays dev, prod and partitioned under $src/deploy/k8s/overlays" >&2
  exit 1
fi
for overlay in "${overlays[@]}"; do
  if validate "$src/deploy/k8s" "$overlay" "$work/out"; then
    echo "ok: overlay $overlay: $(tail -n 1 "$work/out")"
  else
    echo "FAIL: overlay $overlay:"
    cat "$work/out"
    failures=$((failures + 1))
  fi
done

# break NAME OVERLAY FILE PERL_SUBSTITUTION EXPECTED_MESSAGE
break_case() {
  local name="$1" overlay="$2" file="$3" subst="$4" expected="$5"
  local copy="$work/broken-$name"
  rm -rf "$copy"
  cp -r "$src/deploy/k8s" "$copy"
  cp "$copy/$file" "$work/before"
  perl -0pi -e "$subst" "$copy/$file"
  if cmp -s "$copy/$file" "$work/before"; then
    echo "FAIL: breakage '$name' did not change $file (the manifests moved on; update the test)"
    failures=$((failures + 1))
    return
  fi
  if validate "$copy" "$overlay" "$work/out"; then
    echo "FAIL: breakage '$name' ($file) was not caught"
    failures=$((failures + 1))
  elif ! grep -q -- "$expected" "$work/out"; then
    echo "FAIL: breakage '$name' failed for another reason than '$expected':"
    cat "$work/out"
    failures=$((failures + 1))
  else
    echo "ok: breakage '$name' caught: $(grep -m1 -- "$expected" "$work/out")"
  fi
}

break_case schema-type dev base/ingest.yaml \
  's/  replicas: 1\n/  replicas: one\n/' 'must be integer'
break_case unknown-field dev base/search.yaml \
  's/publishNotReadyAddresses:/publishNotReadyAddress:/' 'unknown field spec.publishNotReadyAddress'
break_case http-readiness prod base/search.yaml \
  's/readinessProbe:\n            grpc:\n              port: 8081\n              service: ""/readinessProbe:\n            httpGet:\n              port: 8081\n              path: \/healthz/' \
  'readinessProbe is not a grpc probe'
break_case readiness-service dev base/ingest.yaml \
  's/(readinessProbe:\n            grpc:\n              port: 8081\n              service: )""/$1newsearch.v1.IngestService/' \
  'readinessProbe asks for service'
break_case health-port dev base/kustomization.yaml \
  's/(NEWSEARCH_HEALTH_LISTEN=0.0.0.0:)8081/${1}8082/' \
  'the health listener is 8082'
break_case writers-open prod base/networkpolicy.yaml \
  's/        - podSelector:\n            matchLabels:\n              newsearch.io\/ingest-writer: "true"/        - namespaceSelector: {}/' \
  "opens ingest's gRPC port"
break_case no-networkpolicy dev base/kustomization.yaml \
  's/  - networkpolicy.yaml\n//' 'no NetworkPolicy selects the ingest pods'
break_case tls-unmounted prod overlays/prod/kustomization.yaml \
  's/  - tls.yaml\n//' 'is not in the mounted newsearch-tls Secret'
if [ -n "$build" ]; then
  break_case flag-typo dev base/kustomization.yaml \
    's/NEWSEARCH_INGEST_ADDRESS=/NEWSEARCH_INGEST_ADRESS=/' 'has no flag --ingest_adress'
fi
break_case shard-port-open partitioned overlays/partitioned/networkpolicy-shards.yaml \
  's/        - podSelector:\n            matchLabels:\n              app.kubernetes.io\/name: newsearch-router/        - podSelector: {}/' \
  'opens the shard port'
break_case shards-list partitioned overlays/partitioned/kustomization.yaml \
  's/,newsearch-search-p1-1.newsearch-search-p1:7000//' 'NEWSEARCH_SHARDS is'
break_case partition-mixup partitioned overlays/partitioned/partition-1.yaml \
  's/value: "1\/2"/value: "0\/2"/' 'NEWSEARCH_PARTITION is 0/2, want 1/2'
break_case partition-pdb partitioned overlays/partitioned/partition-1.yaml \
  's/---\napiVersion: policy\/v1\nkind: PodDisruptionBudget.*//s' 'PodDisruptionBudget/newsearch-search-p1: missing'
break_case single-left partitioned overlays/partitioned/kustomization.yaml \
  's/  - single-removed.yaml\n//' 'still there beside the partitions'
break_case bad-patch prod overlays/prod/resources.yaml \
  's/^kind: StatefulSet/kind: Statefulset/m' 'kustomize'

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all overlays valid, every breakage caught"
