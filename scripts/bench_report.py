#!/usr/bin/env python3
"""Turns a bench_getrandom JSON run into a table with ratios to the kernel
vDSO (Markdown, for the terminal and docs/performance.md), CSV, and the data
file the plot is drawn from.  Used by scripts/bench.sh."""
import argparse
import csv
import json
import re
import sys

NAME = re.compile(r"^getrandom/(?P<source>[^/]+)/(?P<size>\d+)"
                  r"(?:/real_time)?/threads:(?P<threads>\d+)(?:/real_time)?$")
BLOCKS = re.compile(r"^chacha20_blocks/(?P<routine>[^/]+)/(?P<size>\d+)")
SOURCES = ["syscall", "glibc_getrandom", "kernel_vdso", "image_sse2", "image_avx2",
           "image_avx512", "libsodium_randombytes", "openssl_rand_bytes",
           "openssl_evp_chacha20", "libsodium_chacha20"]
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
WHAT_CELLS_SHOW = {
    "real": "up to 256 B the wall time one thread waits for each of its calls, "
            "above it the bytes all threads together get per second",
    "cpu": "up to 256 B the CPU time per call, above it the bytes per CPU-second",
}


def load(path, clock="real"):
    with open(path) as f:
        run = json.load(f)
    rows = []
    for b in run["benchmarks"]:
        if b.get("run_type") == "aggregate" or b.get("error_occurred"):
            continue
        m = NAME.match(b["name"])
        if not m:
            continue
        ns = b[f"{clock}_time"] * UNIT_NS[b.get("time_unit", "ns")]
        size, threads = int(m["size"]), int(m["threads"])
        rows.append({"source": m["source"], "size": size, "threads": threads,
                     **per_call_and_rate(ns, size, threads, clock)})
    return run.get("context", {}), rows


def per_call_and_rate(ns, size, threads, clock):
    """What one measurement means.  Google Benchmark divides a threaded run's
    time by the iterations of all its threads together: real time is the wall
    time of the run per call made by any thread, CPU time the CPU time of all
    threads per call.  So size / time is already the rate of all threads
    together (wall clock) or per CPU-second (CPU time), and one thread waits
    `threads` times the real time for each of its own calls."""
    per_call = ns * threads if clock == "real" else ns
    return {"ns_per_call": per_call, "gb_per_s": size / ns}


def human_size(n):
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n // scale} {unit}"
    return f"{n} B"


def cell(row, kernel):
    value = f"{row['ns_per_call']:.1f} ns" if row["size"] <= 256 else f"{row['gb_per_s']:.2f} GB/s"
    if kernel:
        value += f" ({kernel['ns_per_call'] / row['ns_per_call']:.2f}×)"
    return value


def table(rows, threads, only_sources=None, only_sizes=None):
    picked = [r for r in rows if r["threads"] == threads]
    sources = [s for s in SOURCES if any(r["source"] == s for r in picked)]
    if only_sources:
        sources = [s for s in sources if s in only_sources]
    sizes = sorted({r["size"] for r in picked})
    if only_sizes:
        sizes = [n for n in sizes if n in only_sizes]
    index = {(r["source"], r["size"]): r for r in picked}
    out = ["| request | " + " | ".join(sources) + " |",
           "| --- | " + " | ".join("---" for _ in sources) + " |"]
    for size in sizes:
        kernel = index.get(("kernel_vdso", size))
        cells = [cell(index[(s, size)], kernel) if (s, size) in index else "—" for s in sources]
        out.append(f"| {human_size(size)} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("json_run")
    ap.add_argument("--markdown", help="write the tables here (default: stdout)")
    ap.add_argument("--csv", help="write one row per measurement here")
    ap.add_argument("--plot-data", help="write the 1-thread throughput per source (gnuplot) here")
    ap.add_argument("--clock", choices=["real", "cpu"], default="real",
                    help="wall-clock time (default; what threads share) or the process's CPU "
                         "time (steadier on a loaded machine)")
    ap.add_argument("--sources", help="comma-separated sources for the tables (default: all)")
    ap.add_argument("--sizes", help="comma-separated request sizes for the tables (default: all)")
    ap.add_argument("--threads", help="comma-separated thread counts for the tables (default: all)")
    args = ap.parse_args()
    context, rows = load(args.json_run, args.clock)
    if not rows:
        sys.exit(f"bench_report: no getrandom/... measurements in {args.json_run}")
    thread_counts = sorted({r["threads"] for r in rows})
    only_sources = args.sources.split(",") if args.sources else None
    only_sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else None
    shown = [int(n) for n in args.threads.split(",")] if args.threads else thread_counts
    text = []
    for threads in [t for t in thread_counts if t in shown]:
        text.append(f"**{threads} thread{'s' if threads > 1 else ''}, {args.clock} time** "
                    f"({WHAT_CELLS_SHOW[args.clock]}; in parentheses: speed relative to the "
                    "kernel vDSO, higher is faster)\n")
        text.append(table(rows, threads, only_sources, only_sizes) + "\n")
    markdown = "\n".join(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown)
    else:
        print(markdown)
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["source", "size", "threads", "ns_per_call", "gb_per_s"])
            w.writeheader()
            w.writerows(rows)
    if args.plot_data:
        one = [r for r in rows if r["threads"] == thread_counts[0]]
        sources = [s for s in SOURCES if any(r["source"] == s for r in one)]
        with open(args.plot_data, "w") as f:
            for s in sources:
                f.write(f'"{s}"\n')
                for r in sorted((r for r in one if r["source"] == s), key=lambda r: r["size"]):
                    f.write(f"{r['size']} {r['gb_per_s']:.6g}\n")
                f.write("\n\n")


if __name__ == "__main__":
    main()
