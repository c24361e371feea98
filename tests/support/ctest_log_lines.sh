#!/usr/bin/env bash
# Prints the lines starting with a tag (e.g. "[conformance]") that the tests
# of the last CTest run in a build directory wrote.  CTest keeps every test's
# output, passing tests included, in Testing/Temporary/LastTest.log; the
# suites' summary.sh scripts read their lines through here.
# usage: ctest_log_lines.sh <build dir> <tag> <what the tag's tests are>
set -euo pipefail
build_dir="${1:?usage: ctest_log_lines.sh <build dir> <tag> <description>}"
tag="${2:?missing tag}"
what="${3:?missing description}"
log="$build_dir/Testing/Temporary/LastTest.log"
[ -f "$log" ] || { echo "$what: no CTest log at $log" >&2; exit 1; }
lines=$(awk -v tag="$tag" 'index($0, tag) == 1' "$log")
[ -n "$lines" ] || { echo "$what: the last CTest run in $build_dir ran none of these tests" >&2; exit 1; }
echo "$lines"
