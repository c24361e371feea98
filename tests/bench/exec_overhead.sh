#!/usr/bin/env bash
# Benchmark (not a test): what running under `vdsoforge exec` costs.
#   - steady state: a CPU-bound and a syscall-heavy workload, each timed by
#     the program itself, natively and under exec (no --count-syscalls, so no
#     stop at any system call), side by side; goal <= 2 % overhead;
#   - start-up: wall time of `true` natively and under exec.
# Medians of ROUNDS rounds (default 7); native and traced runs alternate.  The machine is shared and noisy: read
# differences below a few percent as noise.
#
# usage: tests/bench/exec_overhead.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
build=${1:-build/default}
rounds=${2:-7}
tool=$build/tools/vdsoforge
workload=$build/tests/exec_workload
[ -x "$tool" ] && [ -x "$workload" ] || {
  echo "build first: cmake --build $build --target vdsoforge exec_workload" >&2
  exit 1
}

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# One native and one traced run per round, back to back, so load drifting
# on a shared machine hits both alike; prints "native_ns traced_ns" per round.
work_pairs() {  # mode n
  for _ in $(seq "$rounds"); do
    local a b
    a=$("$workload" "$1" "$2" | awk '{print $1}')
    b=$("$tool" exec -q -- "$workload" "$1" "$2" | awk '{print $1}')
    echo "$a $b"
  done
}

start_ns() {  # [exec]
  for _ in $(seq "$rounds"); do
    local t0 t1
    t0=$(date +%s%N)
    if [ "${1:-}" = exec ]; then "$tool" exec -q -- true; else true_bin=$(command -v true); "$true_bin"; fi
    t1=$(date +%s%N)
    echo $((t1 - t0))
  done | median
}

printf '%-28s %14s %14s %9s\n' workload native "under exec" overhead
for spec in "cpu 200000000" "syscalls 2000000"; do
  set -- $spec
  pairs=$(work_pairs "$1" "$2")
  native=$(awk '{print $1}' <<<"$pairs" | median)
  traced=$(awk '{print $2}' <<<"$pairs" | median)
  # The overhead is the median of the per-round ratios, not a ratio of medians.
  ratio=$(awk '{print ($2 - $1) * 100 / $1}' <<<"$pairs" | median)
  awk -v name="$1 ($2)" -v a="$native" -v b="$traced" -v r="$ratio" \
    'BEGIN {printf "%-28s %11.1f ms %11.1f ms %+8.2f%%\n", name, a/1e6, b/1e6, r}'
done
native=$(start_ns)
traced=$(start_ns exec)
awk -v a="$native" -v b="$traced" \
  'BEGIN {printf "%-28s %11.2f ms %11.2f ms %+8.2f ms\n", "start-up (true)", a/1e6, b/1e6, (b-a)/1e6}'
