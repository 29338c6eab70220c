#!/usr/bin/env bash
# Builds the parser fuzzer with clang (tests/fuzz/CMakeLists.txt) in
# BUILD_DIR and runs it for SECONDS seconds, seeded with every test page
# (seeds, samples, fixtures). Exits non-zero on a crash, hang (-timeout),
# leak, sanitizer report or invalid output (the target aborts).
# Usage: run_fuzz.sh BUILD_DIR [SECONDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$1"
seconds="${2:-45}"
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release \
  "${launcher[@]}" >/dev/null
cmake --build "$build" -j2 >/dev/null
corpus="$build/corpus"
rm -rf "$corpus"
mkdir -p "$corpus"
for f in "$root"/tests/testdata/pages/{seeds,samples,fixtures}/*; do
  case "$f" in *.golden|*.py) continue ;; esac
  # The fuzzer's first byte picks the content type; 0x00 = none.
  { printf '\0'; cat "$f"; } > "$corpus/$(basename "$f")"
done
cd "$build"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ./page_parser_fuzzer -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 "$corpus"
