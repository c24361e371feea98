#!/usr/bin/env bash
# Prints the one-line-per-group counts of the conformance suite from the last
# CTest run in the given build directory (CTest keeps every test's output in
# Testing/Temporary/LastTest.log, passing tests included).
set -euo pipefail
build_dir="${1:?usage: summary.sh <build dir>}"
log="$build_dir/Testing/Temporary/LastTest.log"
[ -f "$log" ] || { echo "summary.sh: no CTest log at $log" >&2; exit 1; }
lines=$(grep -h '^\[conformance\]' "$log" || true)
[ -n "$lines" ] || { echo "summary.sh: the last CTest run in $build_dir ran no conformance test" >&2; exit 1; }
echo "$lines"
