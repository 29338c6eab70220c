#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything with
# warnings as errors, and runs the whole ctest suite (unit + integration).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/install-deps.sh"
NEWSEARCH_BUILD_DIR="${NEWSEARCH_BUILD_DIR:-$here/build}" \
  "$here/scripts/build.sh" -DNEWSEARCH_BUILD_TESTS=ON -DNEWSEARCH_WERROR=ON
cd "${NEWSEARCH_BUILD_DIR:-$here/build}"
ctest --output-on-failure -j"$(nproc)" --timeout 600
