#!/usr/bin/env bash
# Configures and builds newsearch in ./build (or $NEWSEARCH_BUILD_DIR).
# Usage: scripts/build.sh [extra cmake -D options]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${NEWSEARCH_BUILD_DIR:-$here/build}"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
