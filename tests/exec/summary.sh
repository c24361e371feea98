#!/usr/bin/env bash
# Prints the "[exec]" lines (real consumers under `vdsoforge exec`: glibc 2.41
# and Go 1.24 per image, control runs, reseeds, broken images, the consumer
# matrix) from the last CTest run in the given build directory, then one line
# that sums them up.
set -euo pipefail
build_dir="${1:?usage: summary.sh <build dir>}"
lines=$("$(dirname "$0")/../support/ctest_log_lines.sh" "$build_dir" "[exec]" "exec summary")
# One line per cell of the consumer matrix is too many for a CI log: the
# matrix's own summary line stands for them (ctest's log keeps every cell).
grep -v '^\[exec\] consumer verdict: ' <<<"$lines" || true
used=$(grep -c 'used the vDSO, output ok' <<<"$lines" || true)
glibc=$(grep -c '^\[exec\] glibc 2.41' <<<"$lines" || true)
go=$(grep -c '^\[exec\] Go 1.24' <<<"$lines" || true)
caught=$(grep -o 'broken images: [0-9]*/[0-9]* caught' <<<"$lines" | head -1 || true)
echo "[exec] summary: $glibc glibc 2.41 and $go Go 1.24 results; $used image runs used the vDSO with sound output; ${caught:-broken images: not run}"
