#!/usr/bin/env bash
# Prints the one-line-per-group counts of the conformance suite ("[conformance]"
# lines) from the last CTest run in the given build directory.
set -euo pipefail
build_dir="${1:?usage: summary.sh <build dir>}"
"$(dirname "$0")/../support/ctest_log_lines.sh" "$build_dir" "[conformance]" "conformance summary"
