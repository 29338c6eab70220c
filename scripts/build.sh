#!/usr/bin/env bash
# Configures and builds newsearch in ./build (or $NEWSEARCH_BUILD_DIR).
# Usage: scripts/build.sh [extra cmake -D options]
# NEWSEARCH_TARGETS="a b" builds only those targets (default: everything).
#
# scripts/demo.sh and scripts/test.sh share one build directory and the same
# compiler flags (warnings as errors), so the second of them only builds what
# the first did not: the demo turns the test targets off
# (-DNEWSEARCH_BUILD_TESTS=OFF), which changes no flag of the others.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${NEWSEARCH_BUILD_DIR:-$here/build}"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" \
  -DNEWSEARCH_WERROR="${NEWSEARCH_WERROR:-ON}" "$@" >/dev/null
targets=()
for t in ${NEWSEARCH_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j"$(nproc)" "${targets[@]}"
