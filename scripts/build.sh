#!/usr/bin/env bash
# Configures and builds newsearch in ./build (or $NEWSEARCH_BUILD_DIR).
# Usage: scripts/build.sh [extra cmake -D options]
# NEWSEARCH_TARGETS="a b" builds only those targets (default: everything).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${NEWSEARCH_BUILD_DIR:-$here/build}"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
targets=()
for t in ${NEWSEARCH_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j"$(nproc)" "${targets[@]}"
