#!/usr/bin/env bash
# Every test: install what is missing, then build and test the project twice
# (optimised, and with ASan+UBSan on the host code), check the built image's
# ABI against the running kernel's vDSO, and build the out-of-tree example
# against an installed copy.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

step() { printf '\n=== %s ===\n' "$*"; }

step "build (default preset)"
cmake --preset default >/dev/null
cmake --build --preset default

step "tests (default preset)"
ctest --preset default
tests/conformance/summary.sh build/default

step "ABI of the built images against the running kernel's vDSO"
build/default/tools/vdsoforge abi build/default/vdso_src/vdsoforge-getrandom.so
build/default/tools/vdsoforge abi build/default/vdso_src/vdsoforge-getrandom-avx512.so

step "build + tests under AddressSanitizer and UndefinedBehaviorSanitizer"
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan

step "out-of-tree example against the installed package"
scripts/example.sh

step "all tests passed"
