#!/usr/bin/env bash
# Every message prints proto3's default JSON names (lowerCamelCase:
# `publishedAt`, `duplicateOf`), so one field never comes back under two
# spellings from two calls: no .proto file under the given directory may
# override a name with the `json_name` field option.
# Usage: json_names_test.sh PROTO_DIR
set -euo pipefail
dir="${1:?usage: $0 PROTO_DIR}"
files=()
while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$dir" -name '*.proto' -print0)
[ "${#files[@]}" -gt 0 ] || { echo "no .proto files under $dir" >&2; exit 1; }
# The option outside // comments, e.g. `string page_id = 18 [json_name = "page_id"];`.
if hits="$(grep -nE '^[^/]*\bjson_name[[:space:]]*=' "${files[@]}")"; then
  echo "json_name overrides found (remove them; proto3 JSON uses lowerCamelCase):" >&2
  echo "$hits" >&2
  exit 1
fi
echo "${#files[@]} .proto files, no json_name override"
