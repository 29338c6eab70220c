#!/usr/bin/env bash
# Prints the relevance table of docs/relevance.md: newsearch's analyzer
# variants, raw Xapian CJK n-grams (baseline), SQLite FTS5 trigram and
# Groonga TokenBigram, all on tests/relevance/data plus generated distractors;
# each variant also with SORT_ORDER_RELEVANCE_RECENCY (rows `+recency`).
#
#   bench/relevance.sh                 # 3000 distractors (seed 7), all rows
#   DISTRACTORS=1000 bench/relevance.sh
#   BUILD_DIR=build-x PEERS=0 bench/relevance.sh   # our rows and the baseline only
#
# Needs a build with the newsearch-relevance target (scripts/build.sh);
# Groonga (Debian groonga-bin) is installed when missing, as the runners in
# ../shared/peers do; without it (or with PEERS=0) its row is left out.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$here/build}"
bin="$build/tests/relevance/newsearch-relevance"
data="${DATA_DIR:-$here/tests/relevance/data}"
count="${DISTRACTORS:-3000}"
py=/usr/bin/python3  # Debian's python: sqlite3 with FTS5
[ -x "$bin" ] || { echo "no $bin: build the newsearch-relevance target first" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/newsearch-relevance.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$py" "$here/tools/gen_pages.py" --count "$count" --seed 7 --jsonl "$work/distractors.jsonl"
peers=""  # NAME=FILE,NAME=FILE for --peer_run
if [ "${PEERS:-1}" = 1 ]; then
  "$py" "$here/tests/relevance/peer_runs.py" fts5 --articles "$data/articles.jsonl" \
    --distractors "$work/distractors.jsonl" --queries "$data/queries.tsv" --out "$work/fts5.tsv"
  v=$("$py" -c 'import sqlite3; print(sqlite3.sqlite_version)')
  peers="sqlite-$v FTS5 trigram=$work/fts5.tsv"
  if ! command -v groonga >/dev/null 2>&1; then
    sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
      groonga-bin >&2 || true
  fi
  if command -v groonga >/dev/null 2>&1; then
    "$py" "$here/tests/relevance/peer_runs.py" groonga --articles "$data/articles.jsonl" \
      --distractors "$work/distractors.jsonl" --queries "$data/queries.tsv" --out "$work/groonga.tsv"
    v=$(groonga --version | head -1 | awk '{print $2}')
    peers="$peers,groonga-$v TokenBigram=$work/groonga.tsv"
  fi
fi
"$bin" --data_dir="$data" --distractors="$work/distractors.jsonl" --work_dir="$work" \
  --variants="${VARIANTS:-bigrams,words,words+bigrams}" --by_kind --recency --peer_run="$peers" "$@"
