#!/usr/bin/env bash
# Installs what newsearch needs to build and test on Debian 12: the compiler
# toolchain and -dev packages from apt, and `buf` (protobuf lint + buf curl)
# from npm. Installs only what is missing; safe to run again. `openssl`
# makes test certificates and `prometheus` (with promtool) scrapes the
# servers in the integration tests.
set -euo pipefail

packages=(
  build-essential cmake pkg-config python3
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libxapian-dev libopencc-dev opencc libicu-dev libsqlite3-dev libssl-dev
  libgumbo-dev libcivetweb-dev libgtest-dev libgmock-dev xapian-tools
  clang libclang-rt-14-dev
  openssl prometheus
  nlohmann-json3-dev
)
# common/server/metrics* build on prometheus-cpp (core, and pull's Exposer
# for /metrics); tools/cli parses its command line with CLI11.
packages+=(prometheus-cpp-dev libcli11-dev)
# jieba's dictionary, read by search's word analyzers (and listed in the
# runtime image's deploy/docker/runtime-packages.txt).
packages+=(python3-jieba)
# tests/deploy renders the kustomize overlays with kubectl: Debian's
# kubernetes-client when the machine has no kubectl of its own.
if [ "${NEWSEARCH_SKIP_DEPLOY_TOOLS:-0}" != 1 ] && ! command -v kubectl >/dev/null 2>&1; then
  packages+=(kubernetes-client)
fi
# Test-only: the Python client example (examples/python, run by
# tests/integration/clients_test.cc) uses Debian's gRPC for Python.
if [ "${NEWSEARCH_SKIP_DEPLOY_TOOLS:-0}" != 1 ]; then
  packages+=(python3-grpcio)
fi
# buf comes from npm; use the machine's npm when it has one (it may not be
# Debian's, whose nodejs package conflicts with other node builds).
if ! command -v buf >/dev/null 2>&1 && ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
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

if ! command -v buf >/dev/null 2>&1; then
  echo "newsearch: installing buf from npm" >&2
  "${sudo_cmd[@]}" npm install -g --no-fund --no-audit @bufbuild/buf >&2
fi

# tests/deploy validates the rendered manifests with kubernetes-models (the
# upstream Kubernetes OpenAPI schemas) and reads them with yaml: pinned versions,
# installed globally like buf. NEWSEARCH_SKIP_DEPLOY_TOOLS=1 (the image build)
# skips the deployment checks' tools.
deploy_npm_packages=(kubernetes-models@4.5.1 yaml@2.8.1)
if [ "${NEWSEARCH_SKIP_DEPLOY_TOOLS:-0}" != 1 ]; then
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
fi

# Test-only: the Node client example's packages, at the versions pinned in
# examples/node/package-lock.json, into examples/node/node_modules (git-ignored).
# Re-run when the lock file is newer than what npm installed.
if [ "${NEWSEARCH_SKIP_DEPLOY_TOOLS:-0}" != 1 ]; then
  node_dir="$(cd "$(dirname "$0")/.." && pwd)/examples/node"
  if [ ! -f "$node_dir/node_modules/.package-lock.json" ] ||
      [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
    echo "newsearch: installing examples/node's packages (npm ci)" >&2
    (cd "$node_dir" && npm ci --ignore-scripts --no-fund --no-audit --loglevel=error >&2)
  fi
fi
