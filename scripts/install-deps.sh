#!/usr/bin/env bash
# Installs what newsearch needs on Debian 12, only what is missing (safe to
# run again):
#
#   scripts/install-deps.sh run    what building and running the services needs:
#                                  the toolchain and -dev packages from apt
#   scripts/install-deps.sh test   (the default) that, plus what the test suite
#                                  uses: GoogleTest, clang (fuzzing), openssl (test
#                                  certificates), prometheus/promtool (scrape
#                                  tests), kubectl and npm validators (manifest
#                                  tests), buf (proto lint, buf curl), Python's
#                                  and Node's gRPC (the client examples)
#
# NEWSEARCH_SKIP_DEPLOY_TOOLS=1 is the older spelling of `run`.
set -euo pipefail

mode="${1:-test}"
if [ "${NEWSEARCH_SKIP_DEPLOY_TOOLS:-0}" = 1 ]; then
  mode=run
fi
case "$mode" in
  run | test) ;;
  *)
    echo "usage: $0 [run|test]" >&2
    exit 2
    ;;
esac

packages=(
  build-essential cmake pkg-config python3
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libxapian-dev libopencc-dev opencc libicu-dev libsqlite3-dev libssl-dev
  libgumbo-dev libcivetweb-dev xapian-tools
  nlohmann-json3-dev libzstd-dev
)
# xapian-tools (above) is also a run-time need: a partition replica's shard
# port (--shard_listen) is its xapian-tcpsrv.
# common/server/metrics* build on prometheus-cpp (core, and pull's Exposer
# for /metrics); tools/cli parses its command line with CLI11.
packages+=(prometheus-cpp-dev libcli11-dev)
# jieba's dictionary, read by search's word analyzers (and listed in the
# runtime image's deploy/docker/runtime-packages.txt).
packages+=(python3-jieba)

if [ "$mode" = test ]; then
  packages+=(libgtest-dev libgmock-dev clang libclang-rt-14-dev openssl prometheus)
  # tests/deploy renders the kustomize overlays with kubectl: Debian's
  # kubernetes-client when the machine has no kubectl of its own.
  if ! command -v kubectl >/dev/null 2>&1; then
    packages+=(kubernetes-client)
  fi
  # The Python client example (examples/python, run by
  # tests/integration/clients_test.cc) uses Debian's gRPC for Python.
  packages+=(python3-grpcio)
  # buf comes from npm; use the machine's npm when it has one (it may not be
  # Debian's, whose nodejs package conflicts with other node builds).
  if ! command -v buf >/dev/null 2>&1 && ! command -v npm >/dev/null 2>&1; then
    packages+=(nodejs npm)
  fi
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "newsearch: installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$mode" = run ]; then
  exit 0
fi

if ! command -v buf >/dev/null 2>&1; then
  echo "newsearch: installing buf from npm" >&2
  "${sudo_cmd[@]}" npm install -g --no-fund --no-audit @bufbuild/buf >&2
fi

# tests/deploy validates the rendered manifests with kubernetes-models (the
# upstream Kubernetes OpenAPI schemas) and reads them with yaml: pinned versions,
# installed globally like buf.
deploy_npm_packages=(kubernetes-models@4.5.1 yaml@2.8.1)
if ! command -v npm >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends nodejs npm
fi
npm_root="$(npm root -g 2>/dev/null)"
for p in "${deploy_npm_packages[@]}"; do
  if ! NODE_PATH="$npm_root" node -e 'const [n, v] = process.argv[1].split(/(?!^)@/);
      process.exit(require(n + "/package.json").version === v ? 0 : 1)' "$p" 2>/dev/null; then
    echo "newsearch: installing ${deploy_npm_packages[*]} from npm" >&2
    "${sudo_cmd[@]}" npm install -g --no-fund --no-audit "${deploy_npm_packages[@]}" >&2
    break
  fi
done

# The Node client example's packages, at the versions pinned in
# examples/node/package-lock.json, into examples/node/node_modules (git-ignored).
# Re-run when the lock file is newer than what npm installed.
node_dir="$(cd "$(dirname "$0")/.." && pwd)/examples/node"
if [ ! -f "$node_dir/node_modules/.package-lock.json" ] ||
    [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
  echo "newsearch: installing examples/node's packages (npm ci)" >&2
  (cd "$node_dir" && npm ci --ignore-scripts --no-fund --no-audit --loglevel=error >&2)
fi
