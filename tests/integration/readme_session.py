#!/usr/bin/env python3
"""Runs the README's `buf curl` session against a fresh pair of services and
checks that every response is the one the README shows.

The session sits between `<!-- readme-session -->` and `<!-- /readme-session -->`
in README.md, as indented code blocks: a line starting with `$ ` is a command
(continued while a line ends with a backslash), the lines after it up to the
next command are its response. A command of the form `NAME=...` defines a
shell variable for the commands after it.

Responses compare as JSON, key by key, with what a reader is told differs:
  - values of keys ending in `At` (timestamps) and of `indexSizeBytes` may differ;
  - a string holding `…` matches any text in its place;
  - a line `…` in an object means more keys may follow; in an array, more items.
Everything else must be equal (floats within 1e-9 relative). The services'
real addresses replace 127.0.0.1:50051 (ingest) and 127.0.0.1:50052 (search).
A command whose response does not match yet is retried for up to 20 seconds
(the replica applies changes a moment after ingest answers).

Usage: readme_session.py README INGEST_BINARY SEARCH_BINARY
Exit 0 when every response matches, 1 with the differences otherwise.
"""
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ELLIPSIS = "\u2026"


def extract_session(readme_text):
    m = re.search(r"<!-- readme-session -->(.*?)<!-- /readme-session -->", readme_text, re.S)
    if not m:
        sys.exit("README has no <!-- readme-session --> section")
    lines = [l[4:] for l in m.group(1).splitlines() if l.startswith("    ")]
    steps = []  # [command, response lines]
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\"):
                i += 1
                command = command + "\n" + lines[i]
            steps.append([command, []])
        elif steps:
            steps[-1][1].append(line)
        i += 1
    return steps


def parse_expected_text(lines):
    # Object-level `…` lines become `"…": "…"` members, array-level ones `"…"`
    # items: decide by the innermost open bracket.
    out = []
    stack = []
    for line in lines:
        stripped = line.strip()
        if stripped in (ELLIPSIS, ELLIPSIS + ","):
            comma = "," if stripped.endswith(",") else ""
            if stack and stack[-1] == "{":
                out.append(f'"{ELLIPSIS}": "{ELLIPSIS}"{comma}')
            else:
                out.append(f'"{ELLIPSIS}"{comma}')
            continue
        out.append(line)
        in_string = False
        escaped = False
        for ch in line:
            if in_string:
                if escaped:
                    escaped = False
                elif ch == "\\":
                    escaped = True
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
            elif ch in "{[":
                stack.append(ch)
            elif ch in "}]":
                stack.pop()
    text = "\n".join(out)
    # An elision line before a closing bracket may leave a trailing comma.
    text = re.sub(r",(\s*[}\]])", r"\1", text)
    return json.loads(text)


def matches(want, got, path, problems):
    if isinstance(want, dict):
        if not isinstance(got, dict):
            problems.append(f"{path}: want an object, got {json.dumps(got, ensure_ascii=False)}")
            return
        open_ended = ELLIPSIS in want
        for key, value in want.items():
            if key == ELLIPSIS:
                continue
            if key not in got:
                problems.append(f"{path}.{key}: missing")
                continue
            if key.endswith("At") or key == "indexSizeBytes":
                continue
            matches(value, got[key], f"{path}.{key}", problems)
        if not open_ended:
            for key in got:
                if key not in want:
                    problems.append(f"{path}.{key}: not in the README "
                                    f"({json.dumps(got[key], ensure_ascii=False)[:80]})")
    elif isinstance(want, list):
        if not isinstance(got, list):
            problems.append(f"{path}: want an array, got {json.dumps(got, ensure_ascii=False)}")
            return
        open_ended = bool(want) and want[-1] == ELLIPSIS
        items = want[:-1] if open_ended else want
        if len(got) < len(items) or (not open_ended and len(got) != len(items)):
            problems.append(f"{path}: {len(got)} items, the README shows {len(items)}"
                            + (" and more" if open_ended else ""))
        for n, (w, g) in enumerate(zip(items, got)):
            matches(w, g, f"{path}[{n}]", problems)
    elif isinstance(want, str) and ELLIPSIS in want and isinstance(got, str):
        parts = want.split(ELLIPSIS)
        pos = 0
        ok = got.startswith(parts[0]) and got.endswith(parts[-1])
        for part in parts:
            found = got.find(part, pos)
            if found < 0:
                ok = False
                break
            pos = found + len(part)
        if not ok:
            problems.append(f"{path}: {got!r} does not read as {want!r}")
    elif isinstance(want, float) or isinstance(got, float):
        if not (isinstance(got, (int, float)) and
                math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-12)):
            problems.append(f"{path}: README {want!r}, got {got!r}")
    elif want != got:
        problems.append(f"{path}: README {json.dumps(want, ensure_ascii=False)}, "
                        f"got {json.dumps(got, ensure_ascii=False)}")


def start(binary, name, workdir, extra):
    port_file = os.path.join(workdir, name + ".port")
    log = open(os.path.join(workdir, name + ".log"), "wb")
    proc = subprocess.Popen([binary, "--listen=127.0.0.1:0", f"--port_file={port_file}",
                             f"--data_dir={os.path.join(workdir, name)}"] + extra,
                            stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return proc, "127.0.0.1:" + open(port_file).read().strip()
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    sys.exit(f"{name} did not start; see {workdir}/{name}.log")


def main():
    readme, ingest_bin, search_bin = sys.argv[1:4]
    root = os.path.dirname(os.path.abspath(readme))
    steps = extract_session(open(readme, encoding="utf-8").read())
    if len(steps) < 5:
        sys.exit(f"the README session has {len(steps)} commands; expected the whole session")
    workdir = tempfile.mkdtemp(prefix="newsearch-readme-")
    procs = []
    failures = 0
    try:
        ingest, ingest_addr = start(ingest_bin, "ingest", workdir, [])
        procs.append(ingest)
        search, search_addr = start(search_bin, "search", workdir,
                                    [f"--ingest_address={ingest_addr}"])
        procs.append(search)
        definitions = []
        for command, response in steps:
            command = (command.replace("127.0.0.1:50051", ingest_addr)
                       .replace("127.0.0.1:50052", search_addr))
            if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", command):
                definitions.append(command)
                continue
            script = "set -euo pipefail\n" + "\n".join(definitions + [command])
            want = parse_expected_text([
                l.replace("127.0.0.1:50051", ingest_addr).replace("127.0.0.1:50052", search_addr)
                for l in response])
            deadline = time.time() + 20
            while True:
                run = subprocess.run(["bash", "-c", script], cwd=root, capture_output=True,
                                     text=True)
                problems = []
                if run.returncode != 0:
                    problems.append(f"exit {run.returncode}: {run.stderr.strip()[:300]}")
                else:
                    try:
                        matches(want, json.loads(run.stdout), "$", problems)
                    except json.JSONDecodeError:
                        problems.append(f"not JSON: {run.stdout[:300]}")
                if not problems or time.time() > deadline:
                    break
                time.sleep(0.5)
            first_line = command.splitlines()[0]
            if problems:
                failures += 1
                print(f"MISMATCH  {first_line}")
                for p in problems:
                    print(f"    {p}")
                print("  got:\n" + "\n".join("    " + l for l in run.stdout.splitlines()))
            else:
                print(f"ok        {first_line}")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        if failures == 0:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"{len(steps)} commands, {failures} responses differ from the README")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
