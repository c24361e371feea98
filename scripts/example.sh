#!/usr/bin/env bash
# Installs the built project into a temporary prefix, then configures, builds
# and runs examples/custom-image against that installed copy only (the
# source tree is not on any search path of the example).
#   scripts/example.sh [BUILD_DIR]     (default: build/default, built already)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build/default}"
[ -f "$build_dir/CMakeCache.txt" ] || { echo "example.sh: $build_dir is not a configured build" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

cmake --build "$build_dir"
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
echo "example.sh: installed into $prefix"

cmake -S examples/custom-image -B "$work/build" -G Ninja \
      -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$work/build"
ctest --test-dir "$work/build" --output-on-failure
"$work/build/custom-image-demo"
