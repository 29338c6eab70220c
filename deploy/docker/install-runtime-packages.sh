#!/usr/bin/env bash
# Installs the runtime packages listed in runtime-packages.txt (one per line,
# `#` comments) without recommends, then drops apt's lists to keep the image
# small. Used by the runtime stage of deploy/docker/Dockerfile.
#
#   install-runtime-packages.sh [--print] [LIST]
# --print only prints the package names, one per line (what the test reads).
set -euo pipefail
print=0
if [ "${1:-}" = "--print" ]; then
  print=1
  shift
fi
list="${1:-$(dirname "$0")/runtime-packages.txt}"
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]\+/\n/g' "$list" | sed '/^$/d')
if [ "${#packages[@]}" -eq 0 ]; then
  echo "install-runtime-packages: no packages in $list" >&2
  exit 1
fi
if [ "$print" -eq 1 ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"
apt-get clean
rm -rf /var/lib/apt/lists/*
