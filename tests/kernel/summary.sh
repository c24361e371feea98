#!/usr/bin/env bash
# Prints the "[kernel]" lines of the kernel harness (one per boot, plus any
# FAIL line) from the last CTest run in the given build directory.
set -euo pipefail
build_dir="${1:?usage: summary.sh <build dir>}"
"$(dirname "$0")/../support/ctest_log_lines.sh" "$build_dir" "[kernel]" "kernel summary"
