#!/usr/bin/env bash
# Installs what newsearch needs to build and test on Debian 12: the compiler
# toolchain and -dev packages from apt, and `buf` (protobuf lint + buf curl)
# from npm. Installs only what is missing; safe to run again.
set -euo pipefail

packages=(
  build-essential cmake pkg-config python3
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libxapian-dev libopencc-dev opencc libicu-dev libsqlite3-dev libssl-dev
  libgumbo-dev libcivetweb-dev libgtest-dev libgmock-dev xapian-tools
  python3-jieba nlohmann-json3-dev
)
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
