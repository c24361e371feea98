#!/usr/bin/env bash
# Every test: install what is missing, fetch the real getrandom consumers
# (Debian 13's glibc 2.41 and Go 1.24, into build/consumers), then build and
# test the project twice (optimised, and with ASan+UBSan on the host code),
# boot Linux 6.12 under QEMU serving the image and Debian's own 6.12 kernel
# (the kernel harness, in the optimised run only: docs/kernel.md), check the
# built image's ABI against the running kernel's vDSO, build the
# out-of-tree example against an installed copy, and build, lint and try the
# Debian package.  Each step prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/steps.sh
step "install missing Debian packages"
scripts/install-deps.sh

step "format (.clang-format)"
scripts/format.sh --check

step "real getrandom consumers (Debian 13 glibc 2.41, Go 1.24; cached)"
consumers=$(scripts/fetch-consumers.sh)
cat "$consumers/.packages"

step "build (default preset)"
cmake --preset default -DVDSOFORGE_CONSUMER_ROOT="$consumers" >/dev/null
cmake --build --preset default

step "tests (default preset)"
ctest --preset default
tests/conformance/summary.sh build/default
tests/exec/summary.sh build/default
tests/kernel/summary.sh build/default

step "ABI of the built images against the running kernel's vDSO"
build/default/tools/vdsoforge abi build/default/vdso_src/vdsoforge-getrandom.so
# The image of each kernel layout profile exports the same ABI, and its code
# reads where its profile says, as its note does.
for profile in linux-6.11 linux-6.13 linux-6.15; do
  report=$(build/default/tools/vdsoforge abi "build/default/vdso_src/vdsoforge-getrandom-$profile.so")
  grep -E "^Result|^  image:" <<<"$report"
  grep -q "profile $profile, certain (its data-layout note agrees)" <<<"$report"
done

step "CI recipe (examples/ci) run locally"
examples/ci/test-recipe.sh

step "benchmark pipeline: a short run through table, CSV, JSON and plot (numbers not judged)"
bench_out="$(mktemp -d)"
scripts/bench.sh --min-time 0.01 --filter 'getrandom/(kernel_vdso|image_.*)/(4|4096)/' \
  --json "$bench_out/run.json" --csv "$bench_out/run.csv" --plot "$bench_out/plot.svg" >/dev/null
grep -q '^kernel_vdso,4096,1,' "$bench_out/run.csv"
grep -q '<svg' "$bench_out/plot.svg"
rm -rf "$bench_out"

step "build + tests under AddressSanitizer and UndefinedBehaviorSanitizer"
cmake --preset asan -DVDSOFORGE_CONSUMER_ROOT="$consumers" >/dev/null
cmake --build --preset asan
ctest --preset asan

step "threaded tests under ThreadSanitizer (loader worker, per-thread pool, threaded conformance)"
cmake --preset tsan >/dev/null
cmake --build --preset tsan
ctest --preset tsan

step "out-of-tree example against the installed package"
scripts/example.sh

step "Debian package: lintian, throw-away root, the example against it"
scripts/package.sh build/default

step ""
echo "all tests passed in $((SECONDS - steps_start)) s"
