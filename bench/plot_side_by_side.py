#!/usr/bin/env python3
"""Draws bench/side_by_side.sh's two pictures as PNG (python3-matplotlib):

  searchable.png  documents searchable over time during the bulk load, both
                  systems (newsearch: the replica's document count sampled
                  every second; Groonga: its batch load builds the full-text
                  index after loading, so nothing is searchable before the
                  load ends and everything is after)
  latency.png     the query latency distribution (CDF), both systems

Usage: plot_side_by_side.py SAMPLES_TSV NS_LATENCIES GROONGA_LATENCIES
                            GROONGA_LOAD_SECONDS TOTAL_DOCS OUT_DIR TITLE
SAMPLES_TSV: `seconds<TAB>documents` lines.
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_floats(path):
    with open(path) as f:
        return [float(line) for line in f if line.strip()]


def percentile(sorted_ms, p):
    if not sorted_ms:
        return float("nan")
    k = max(0, min(len(sorted_ms) - 1, int(round(p / 100.0 * len(sorted_ms) + 0.5)) - 1))
    return sorted_ms[k]


def main():
    samples_path, ns_lat, g_lat, g_load_s, total, out_dir, title = sys.argv[1:8]
    g_load_s, total = float(g_load_s), int(total)

    t, docs = [], []
    with open(samples_path) as f:
        for line in f:
            cols = line.split()
            if len(cols) == 2:
                t.append(float(cols[0]))
                docs.append(int(cols[1]))
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    ax.plot(t, docs, label="newsearch (raw pages → parsed → searchable)", color="tab:blue")
    end = max([g_load_s] + t) * 1.02
    ax.step([0, g_load_s, end], [0, total, total], where="post", color="tab:orange",
            label="Groonga (clean JSONL, batch load + index build)")
    ax.set_xlabel("seconds since the load started")
    ax.set_ylabel("documents searchable")
    ax.set_title(f"Searchable during a bulk load: {title}")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(f"{out_dir}/searchable.png")

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    for path, label, color in ((ns_lat, "newsearch (gRPC)", "tab:blue"),
                               (g_lat, "Groonga (HTTP)", "tab:orange")):
        ms = sorted(read_floats(path))
        if not ms:
            continue
        ys = [(i + 1) / len(ms) for i in range(len(ms))]
        ax.plot(ms, ys, label=f"{label}: p50 {percentile(ms, 50):.2f} ms, "
                f"p99 {percentile(ms, 99):.2f} ms", color=color)
    ax.set_xscale("log")
    ax.set_xlabel("query latency, ms (log scale)")
    ax.set_ylabel("fraction of queries")
    ax.set_title(f"Query latency, one client, page size 10: {title}")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(f"{out_dir}/latency.png")


if __name__ == "__main__":
    main()
