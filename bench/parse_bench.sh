#!/usr/bin/env bash
# Parse throughput on one core: generates N pages with tools/gen_pages.py
# (seed 1) into a temp dir, then runs newsearch-bench-parse over them and
# over the real seeds, pinned to one CPU with taskset when available.
# Usage: bench/parse_bench.sh BUILD_DIR   (env: N=2000, SECONDS_PER_RUN=5)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:?usage: parse_bench.sh BUILD_DIR}"
bin="$build/bench/newsearch-bench-parse"
n="${N:-2000}"
secs="${SECONDS_PER_RUN:-5}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 "$root/tools/gen_pages.py" --count "$n" --seed 1 --out "$tmp/gen" >/dev/null
pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c 0); fi
echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "commit: $(git -C "$root" rev-parse --short HEAD)"
echo "== generated corpus (gen_pages.py --count $n --seed 1)"
"${pin[@]}" "$bin" --dirs="$tmp/gen" --min_seconds="$secs"
echo "== seeds (tests/testdata/pages/seeds)"
"${pin[@]}" "$bin" --dirs="$root/tests/testdata/pages/seeds" --min_seconds="$secs"
echo "== fixtures and samples"
"${pin[@]}" "$bin" --dirs="$root/tests/testdata/pages/fixtures,$root/tests/testdata/pages/samples" \
  --min_seconds="$secs"
