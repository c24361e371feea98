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
  echo "build first: cmake --build $build --target vdsoforge exec_workload exec_seccomp_cost" >&2
  exit 1
}

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# One native and one traced run per round, back to back, so load drifting
# on a shared machine hits both alike; prints "native_ns traced_ns
# native_cpu_ns traced_cpu_ns" per round (elapsed, then CPU time).
work_pairs() {  # mode n
  for _ in $(seq "$rounds"); do
    local a b
    a=$("$workload" "$1" "$2")
    b=$("$tool" exec -q -- "$workload" "$1" "$2")
    echo "${a%% *} ${b%% *} ${a##* } ${b##* }"
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
  # Elapsed (columns 1, 2) and CPU time (3, 4).  The overhead is the median
  # of the per-round ratios, not a ratio of medians.
  for columns in "1 2 elapsed" "3 4 cpu time"; do
    set -- $spec $columns
    native=$(awk -v c="$3" '{print $c}' <<<"$pairs" | median)
    traced=$(awk -v c="$4" '{print $c}' <<<"$pairs" | median)
    ratio=$(awk -v n="$3" -v t="$4" '{print ($t - $n) * 100 / $n}' <<<"$pairs" | median)
    awk -v name="$1 ($2) ${*:5}" -v a="$native" -v b="$traced" -v r="$ratio" \
      'BEGIN {printf "%-28s %11.1f ms %11.1f ms %+8.2f%%\n", name, a/1e6, b/1e6, r}'
  done
done
native=$(start_ns)
traced=$(start_ns exec)
awk -v a="$native" -v b="$traced" \
  'BEGIN {printf "%-28s %11.2f ms %11.2f ms %+8.2f ms\n", "start-up (true)", a/1e6, b/1e6, (b-a)/1e6}'
# Where the system-call cost comes from: any filter at all, cached or not.
if [ -x "$build/tests/exec_seccomp_cost" ]; then
  echo
  "$build/tests/exec_seccomp_cost"
fi
