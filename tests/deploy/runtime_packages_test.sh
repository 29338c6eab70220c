#!/usr/bin/env bash
# Proves the runtime image of deploy/docker/Dockerfile complete without a
# Docker engine:
#  * installs the build tree with `cmake --install` (as the build stage does)
#    and, for every installed binary, requires each shared library that `ldd`
#    resolves to belong (`dpkg -S`) to a package of
#    deploy/docker/runtime-packages.txt or of the debian:12 base image
#    (Essential and Priority: required packages and what they depend on);
#  * requires the data files compiled into the binaries (OpenCC's tables,
#    jieba's dictionary: absolute paths among their strings that are files
#    here) to come from a listed package, and every listed package to be
#    needed (a library, a data file, or the file its "# read at run time:
#    PATH" note names, which must be in that package);
#  * requires every script the Dockerfile runs and every file it copies to
#    exist in the repository, scripts executable; checks the stages, the
#    non-root user, the volume and the absence of HEALTHCHECK.
#
#   tests/deploy/runtime_packages_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
docker_dir="$src/deploy/docker"
dockerfile="$docker_dir/Dockerfile"
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- The Dockerfile itself -------------------------------------------------
# Instructions with their continuation lines joined, comments dropped.
sed -e '/^[[:space:]]*#/d' "$dockerfile" | sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' >"$work/instructions"

for stage in build runtime ingest search; do
  grep -Eq "^FROM [^ ]+ AS $stage\$" "$work/instructions" || fail "Dockerfile has no stage '$stage'"
done
grep -E '^FROM ' "$work/instructions" | grep -Ev '^FROM (debian:12|build|runtime) AS ' |
  while read -r line; do echo "FAIL: unexpected base: $line"; done | grep . && failures=$((failures + 1))
grep -q '^HEALTHCHECK' "$work/instructions" && fail "Dockerfile declares a HEALTHCHECK (Kubernetes probes do that)"
grep -Eq '^VOLUME .*/var/lib/newsearch' "$work/instructions" || fail "no VOLUME for /var/lib/newsearch"
user="$(grep -E '^USER ' "$work/instructions" | tail -n 1 | awk '{print $2}')"
case "${user%%:*}" in
  "" | root | 0) fail "the runtime stage must switch to a non-root USER (found '${user:-none}')" ;;
esac

# Files copied from the build context exist.
grep -E '^COPY ' "$work/instructions" | grep -v -- '--from=' | while read -r _ args; do
  read -r -a parts <<<"$args"
  for ((i = 0; i < ${#parts[@]} - 1; i++)); do
    [ -e "$src/${parts[$i]}" ] || echo "COPY source ${parts[$i]} is not in the repository"
  done
done >"$work/copy_problems"
while read -r p; do fail "$p"; done <"$work/copy_problems"

# Scripts run by RUN: repository paths directly, absolute paths through the
# COPY that put them there (matched by file name).
grep -E '^RUN ' "$work/instructions" | grep -oE '[^ ="]*\.sh' | sort -u >"$work/scripts"
[ -s "$work/scripts" ] || fail "the Dockerfile runs no script (it should run scripts/install-deps.sh and scripts/build.sh)"
for want in scripts/install-deps.sh scripts/build.sh; do
  grep -qx "$want" "$work/scripts" || fail "the Dockerfile does not run $want (the README's build path)"
done
grep -Eq '^RUN .*cmake --install ' "$work/instructions" || fail "the Dockerfile does not install with cmake --install"
while read -r script; do
  if [[ "$script" == /* ]]; then
    name="$(basename "$script")"
    found="$(grep -E '^COPY ' "$work/instructions" | grep -v -- '--from=' | grep -oE "[^ ]*/$name" | head -n 1 || true)"
    if [ -z "$found" ]; then
      fail "the Dockerfile runs $script but copies no $name into the image"
      continue
    fi
    script="$found"
  fi
  if [ ! -f "$src/$script" ]; then
    fail "the Dockerfile runs $script, which is not in the repository"
  elif [ ! -x "$src/$script" ]; then
    fail "the Dockerfile runs $script, which is not executable"
  else
    echo "ok: script $script exists and is executable"
  fi
done <"$work/scripts"

# --- The runtime package list -----------------------------------------------
"$docker_dir/install-runtime-packages.sh" --print "$docker_dir/runtime-packages.txt" >"$work/listed"
for p in $(cat "$work/listed"); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    fail "runtime package $p is not installed here (not a Debian 12 package name, or not what the build links)"
done

# The base image's packages: Essential or Priority: required, and their
# dependency closure (alternatives: the installed one).
dpkg-query -W -f='${Package}\t${Essential}\t${Priority}\t${Pre-Depends}, ${Depends}\n' |
  python3 -c '
import re, sys
deps, roots = {}, []
for line in sys.stdin:
    name, essential, priority, rel = line.rstrip("\n").split("\t")
    deps[name] = rel
    if essential == "yes" or priority == "required":
        roots.append(name)
def names(rel):
    for group in rel.split(","):
        alts = [re.sub(r"[\s(:].*", "", a.strip()) for a in group.split("|")]
        alts = [a for a in alts if a in deps]
        if alts:
            yield alts[0]
seen, todo = set(), list(roots)
while todo:
    p = todo.pop()
    if p in seen:
        continue
    seen.add(p)
    todo.extend(names(deps.get(p, "")))
print("\n".join(sorted(seen)))
' >"$work/base"
grep -qx libc6 "$work/base" || fail "could not work out the base image's packages (libc6 missing)"

# --- The binaries, installed as the build stage installs them ---------------
cmake --install "$build" --prefix "$work/opt" >/dev/null
for bin in newsearch-ingest newsearch-search newsearch; do
  [ -x "$work/opt/bin/$bin" ] || fail "cmake --install did not install bin/$bin"
done
grep -oE 'ENTRYPOINT \["/usr/local/bin/[^"]+' "$work/instructions" | sed 's#.*/##' | while read -r entry; do
  [ -x "$work/opt/bin/$entry" ] || echo "ENTRYPOINT $entry is not installed by cmake --install"
done >"$work/entry_problems"
while read -r p; do fail "$p"; done <"$work/entry_problems"

# Every library each binary loads, then their owning packages with a single
# `dpkg -S` (one call per file would take minutes).
: >"$work/libs"
for bin in "$work"/opt/bin/*; do
  name="$(basename "$bin")"
  if ! ldd "$bin" >"$work/ldd.$name" 2>&1; then
    fail "ldd $name: $(cat "$work/ldd.$name")"
    continue
  fi
  if grep -q 'not found' "$work/ldd.$name"; then
    fail "$name: unresolved libraries: $(grep 'not found' "$work/ldd.$name" | tr -s ' \t' ' ')"
  fi
  awk '/=> \// {print $3} /^[[:space:]]*\/[^ ]+ \(0x/ {print $1}' "$work/ldd.$name" | sort -u >"$work/libs.$name"
  cat "$work/libs.$name" >>"$work/libs"
done
opencc_dir="$(sed -n 's/^NEWSEARCH_OPENCC_DATA_DIR:[A-Z]*=//p' "$build/CMakeCache.txt")"
if [ -z "$opencc_dir" ] || [ ! -f "$opencc_dir/t2s.json" ]; then
  fail "no OpenCC data dir in $build/CMakeCache.txt"
else
  echo "$opencc_dir/t2s.json" >>"$work/libs"
fi
# Data files: absolute paths compiled into the binaries that are files here.
for bin in "$work"/opt/bin/*; do
  strings -a "$bin" | grep -E '^/(usr|etc)/[A-Za-z0-9_./+-]+$' | grep -v '^/usr/include/' || true
done | sort -u | while read -r f; do
  if [ -f "$f" ]; then echo "$f"; fi
done >"$work/data_files"
# Files the list's notes name.
sed -n 's/^\([^#[:space:]]*\)[[:space:]]*#[[:space:]]*read at run time:[[:space:]]*\([^[:space:]]*\).*/\1\t\2/p' \
  "$docker_dir/runtime-packages.txt" >"$work/notes"
cat "$work/data_files" >>"$work/libs"
cut -f2 "$work/notes" >>"$work/libs"
# usrmerge: dpkg knows some files by their /lib path, some by /usr/lib.
sort -u "$work/libs" | while read -r path; do
  real="$(readlink -f "$path")"
  printf '%s\t%s\n' "$path" "$path" "$path" "$real" "$path" "${path#/usr}" "$path" "${real#/usr}" \
    "$path" "/usr$path" "$path" "/usr$real"
done | sort -u >"$work/candidates"
cut -f2 "$work/candidates" | sort -u | xargs dpkg -S 2>/dev/null |
  sed -n 's/^\([^:,]*\)[^ ]*: \(.*\)$/\2\t\1/p' | sort -u >"$work/owners" || true
# Judges every library (and the OpenCC tables) in one pass: a process per
# library would take half a minute on a loaded machine.
python3 - "$work" "$opencc_dir" <<'PY' >"$work/verdicts"
import glob, os, sys
work, opencc_dir = sys.argv[1], sys.argv[2]
def lines(name):
    with open(os.path.join(work, name)) as f:
        return [l.rstrip("\n") for l in f if l.strip()]
owner_of = dict(l.split("\t", 1) for l in lines("owners"))
candidates = {}
for l in lines("candidates"):
    path, cand = l.split("\t", 1)
    candidates.setdefault(path, []).append(cand)
listed, base = set(lines("listed")), set(lines("base"))
def owner(path):
    for c in candidates.get(path, []):
        if c in owner_of:
            return owner_of[c]
    return None
used = set()
for libs in sorted(glob.glob(os.path.join(work, "libs.*"))):
    name = libs.rsplit("libs.", 1)[1]
    bad = 0
    for lib in lines(os.path.basename(libs)):
        pkg = owner(lib)
        if pkg is None:
            print(f"FAIL {name} links {lib}, which belongs to no Debian package"); bad += 1
        elif pkg in listed:
            used.add(pkg)
        elif pkg not in base:
            print(f"FAIL {name} links {lib} from {pkg}: add {pkg} to deploy/docker/runtime-packages.txt")
            bad += 1
    if not bad:
        print(f"ok {name}: {len(lines(os.path.basename(libs)))} shared libraries, all from listed or base packages")
for path in lines("data_files"):
    pkg = owner(path)
    if pkg is None:
        continue  # a file of this build or machine, not of a package
    if pkg in listed:
        used.add(pkg)
        print(f"ok data file {path} comes from listed package {pkg}")
    elif pkg not in base:
        print(f"FAIL the binaries read {path}, which is in {pkg}: add {pkg} to runtime-packages.txt")
for line in lines("notes"):
    pkg, path = line.split("\t", 1)
    actual = owner(path)
    if actual != pkg:
        print(f"FAIL runtime-packages.txt says {pkg} is kept for {path}, which is in {actual or 'no package'}")
    else:
        used.add(pkg)
        print(f"ok {pkg} kept for {path}")
if opencc_dir:
    t2s = os.path.join(opencc_dir, "t2s.json")
    pkg = owner(t2s)
    if pkg is None:
        print(f"FAIL {t2s} belongs to no Debian package")
    elif pkg in listed:
        used.add(pkg)
        print(f"ok OpenCC tables ({opencc_dir}) come from listed package {pkg}")
    else:
        print(f"FAIL {t2s} (read at run time) is in {pkg}: add it to runtime-packages.txt")
for pkg in sorted(listed - used):
    print(f"FAIL runtime package {pkg} provides nothing the binaries load: drop it")
PY
while read -r verdict rest; do
  if [ "$verdict" = ok ]; then echo "ok: $rest"; else fail "$rest"; fi
done <"$work/verdicts"

if [ "$failures" -ne 0 ]; then
  echo "$failures problem(s)"
  exit 1
fi
echo "runtime image complete: $(wc -l <"$work/listed") listed packages, $(wc -l <"$work/base") base packages"
