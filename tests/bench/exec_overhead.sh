#!/usr/bin/env bash
# Benchmark (not a test): what running under `vdsoforge exec` costs.
#   - steady state: a CPU-bound and a syscall-heavy workload, each timed by
#     the program itself, natively, under exec behind its fanotify gate (the
#     default as root: no filter in the program) and behind its seccomp gate
#     (a filter in every process, as without CAP_SYS_ADMIN), side by side;
#     no --count-syscalls, so no stop at any system call; goal: < 1 %
#     syscall-heavy, ~0 % CPU-bound;
#   - start-up: wall time of `true` natively and under each gate.
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

# A native run and one behind each gate per round, back to back, so load
# drifting on a shared machine hits all alike; prints "native fanotify
# seccomp" elapsed ns, then the same three CPU times, per round.
work_rounds() {  # mode n
  for _ in $(seq "$rounds"); do
    local a b c
    a=$("$workload" "$1" "$2")
    b=$("$tool" exec -q --exec-gate fanotify -- "$workload" "$1" "$2")
    c=$("$tool" exec -q --exec-gate seccomp -- "$workload" "$1" "$2")
    echo "${a%% *} ${b%% *} ${c%% *} ${a##* } ${b##* } ${c##* }"
  done
}

start_ns() {  # [GATE]
  for _ in $(seq "$rounds"); do
    local t0 t1
    t0=$(date +%s%N)
    if [ -n "${1:-}" ]; then "$tool" exec -q --exec-gate "$1" -- true; else true_bin=$(command -v true); "$true_bin"; fi
    t1=$(date +%s%N)
    echo $((t1 - t0))
  done | median
}

# The median of the per-round overheads (percent) of column $2 over column $1.
overhead() { awk -v n="$1" -v t="$2" '{print ($t - $n) * 100 / $n}' <<<"$rounds_out" | median; }
column() { awk -v c="$1" '{print $c}' <<<"$rounds_out" | median; }

printf '%-26s %11s %11s %9s %11s %9s\n' workload native fanotify overhead seccomp overhead
for spec in "cpu 200000000" "syscalls 2000000"; do
  set -- $spec
  rounds_out=$(work_rounds "$1" "$2")
  # Elapsed (columns 1-3) and CPU time (4-6).
  for columns in "1 2 3 elapsed" "4 5 6 cpu"; do
    set -- $spec $columns
    awk -v name="$1 ($2) $6" -v a="$(column "$3")" -v b="$(column "$4")" -v c="$(column "$5")" \
      -v rb="$(overhead "$3" "$4")" -v rc="$(overhead "$3" "$5")" \
      'BEGIN {printf "%-26s %8.1f ms %8.1f ms %+8.2f%% %8.1f ms %+8.2f%%\n", name, a/1e6, b/1e6, rb, c/1e6, rc}'
  done
done
native=$(start_ns)
fanotify=$(start_ns fanotify)
seccomp=$(start_ns seccomp)
awk -v a="$native" -v b="$fanotify" -v c="$seccomp" \
  'BEGIN {printf "%-26s %8.2f ms %8.2f ms %+7.2fms %8.2f ms %+7.2fms\n", "start-up (true)", a/1e6, b/1e6, (b-a)/1e6, c/1e6, (c-a)/1e6}'
# Where the system-call cost comes from: any filter at all, cached or not.
if [ -x "$build/tests/exec_seccomp_cost" ]; then
  echo
  "$build/tests/exec_seccomp_cost"
fi
