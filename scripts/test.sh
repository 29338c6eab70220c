#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything with
# warnings as errors, and runs the whole ctest suite (unit + integration).
# One line per step; the installs' and the build's full output go to
# build/logs/setup.log (printed in part when a step fails).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export NEWSEARCH_BUILD_DIR="${NEWSEARCH_BUILD_DIR:-$here/build}"
# shellcheck source=scripts/lib.sh
source "$here/scripts/lib.sh"
echo "newsearch: install, build and test (full output in $NEWSEARCH_LOG)"
step "installing what is missing (apt, npm; a few minutes the first time)" \
  "$here/scripts/install-deps.sh" test
step "building everything with the tests (about 15 min the first time on 2 cores)" \
  "$here/scripts/build.sh" -DNEWSEARCH_BUILD_TESTS=ON
echo "[$(newsearch_elapsed)] running the test suite (ctest; about 3 min on 2 cores)"
cd "$NEWSEARCH_BUILD_DIR"
ctest --output-on-failure -j"$(nproc)" --timeout 600
echo "[$(newsearch_elapsed)] all tests passed"
