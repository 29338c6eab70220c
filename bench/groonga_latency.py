#!/usr/bin/env python3
"""Per-query latencies of a Groonga database over HTTP, for the latency
distribution plot of bench/side_by_side.sh.

The peers' runner (../shared/peers/run_groonga.sh) reports only percentiles;
this starts `groonga -s --protocol http` on the database that runner built and
times the same kind of request it sends (title and body, best 10 by score),
one sequential client with one persistent connection, one warm-up pass then
PASSES timed passes. Writes each timed latency in ms, one per line, sorted.

Usage: groonga_latency.py DB_DIR QUERIES_TSV PASSES OUT_FILE
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    db_dir, queries_path, passes, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    queries = []
    with open(queries_path, encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 3 and cols[2]:
                queries.append(cols[2])
    port = free_port()
    server = subprocess.Popen(
        ["groonga", "-s", "--protocol", "http", "--bind-address", "127.0.0.1", "--port", str(port),
         os.path.join(db_dir, "db")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        conn = None
        for _ in range(200):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", "/d/status")
                conn.getresponse().read()
                break
            except OSError:
                conn = None
                time.sleep(0.1)
        if conn is None:
            sys.exit("groonga did not start on " + db_dir)
        latencies = []
        for p in range(passes + 1):
            for q in queries:
                path = "/d/select?" + urllib.parse.urlencode({
                    "table": "Articles", "match_columns": "title*2||body", "query": q,
                    "output_columns": "_key,_score", "sort_keys": "-_score", "limit": "10"})
                t0 = time.perf_counter()
                conn.request("GET", path)
                reply = json.loads(conn.getresponse().read())
                ms = (time.perf_counter() - t0) * 1000.0
                if reply[0][0] != 0:
                    sys.exit(f"groonga error for {q!r}: {reply[0]}")
                if p > 0:
                    latencies.append(ms)
        with open(out_path, "w") as out:
            out.writelines(f"{ms:.3f}\n" for ms in sorted(latencies))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
