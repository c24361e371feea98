#!/usr/bin/env python3
"""scripts/bench_report.py against Google Benchmark's own arithmetic.

Runs a short real measurement with one thread and with one thread per CPU,
renders it to CSV with bench_report.py, and compares every row with the
bytes_per_second counter Google Benchmark computed itself for the same run
(SetBytesProcessed over the wall time of all threads):
- the throughput column must equal bytes_per_second, threads or not;
- the time per call must be what one thread waits for each of its calls,
  so `threads` callers at that latency give bytes_per_second.

  test_bench_report.py BENCH_GETRANDOM BENCH_REPORT_PY
Exit 0 when every row agrees, 1 otherwise, 77 (skip) on a one-CPU machine,
where there is no threaded run to compare."""
import csv
import json
import os
import subprocess
import sys
import tempfile

FILTER = r"^getrandom/(kernel_vdso|image_sse2)/(64|4096)/"
# Both sides come from the same two numbers (bytes and seconds); only
# floating-point rounding separates them.
TOLERANCE = 1e-6


def main():
    bench, report = sys.argv[1], sys.argv[2]
    if (os.cpu_count() or 1) < 2:
        print("SKIP: one CPU: the benchmark has no threaded run to compare")
        return 77
    with tempfile.TemporaryDirectory() as work:
        run_json, run_csv = os.path.join(work, "run.json"), os.path.join(work, "run.csv")
        subprocess.run([bench, f"--benchmark_filter={FILTER}", "--benchmark_min_time=0.01",
                        f"--benchmark_out={run_json}", "--benchmark_out_format=json"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, report, run_json, "--clock", "real", "--csv", run_csv],
                       check=True, stdout=subprocess.DEVNULL)
        with open(run_json) as f:
            counters = {}
            for b in json.load(f)["benchmarks"]:
                source, size = b["name"].split("/")[1:3]
                counters[(source, int(size), int(b["threads"]))] = b["bytes_per_second"]
        with open(run_csv) as f:
            rows = list(csv.DictReader(f))

    failures = []
    threads_seen = set()
    for row in rows:
        key = (row["source"], int(row["size"]), int(row["threads"]))
        threads_seen.add(key[2])
        expected = counters[key]
        rate = float(row["gb_per_s"]) * 1e9
        if abs(rate - expected) > TOLERANCE * expected:
            failures.append(f"{key}: throughput {rate:.6g} B/s, Google Benchmark says "
                            f"{expected:.6g} B/s")
        per_thread_rate = key[1] / (float(row["ns_per_call"]) * 1e-9)
        if abs(per_thread_rate * key[2] - expected) > TOLERANCE * expected:
            failures.append(f"{key}: {key[2]} threads at {float(row['ns_per_call']):.6g} ns per "
                            f"call make {per_thread_rate * key[2]:.6g} B/s, Google Benchmark "
                            f"says {expected:.6g} B/s")
    if len(rows) != len(counters) or len(threads_seen) < 2:
        failures.append(f"{len(rows)} rows for {len(counters)} measurements, thread counts "
                        f"{sorted(threads_seen)} (expected 1 and more)")
    for failure in failures:
        print(f"FAIL: {failure}")
    print(f"{len(rows)} rows compared with bytes_per_second, {len(failures)} disagree")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
