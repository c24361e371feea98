#!/usr/bin/env bash
# Every test: install what is missing, fetch the real getrandom consumers
# (Debian 13's glibc 2.41 and Go 1.24, into build/consumers), then build and
# test the project twice (optimised, and with ASan+UBSan on the host code),
# boot Linux 6.12 under QEMU serving the image and Debian's own 6.12 kernel
# (the kernel harness, in the optimised run only: docs/kernel.md), check the
# built image's ABI against the running kernel's vDSO, build the
# out-of-tree example against an installed copy, and build, lint and try the
# Debian package.  Each step prints how long it took.
#
# Quiet by default: a line per step, a summary per test suite, and the output
# of whatever fails; the whole output of every step goes to build/test.sh.log.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/steps.sh
mkdir -p build
steps_log="$PWD/build/test.sh.log"
: >"$steps_log"
echo "test.sh: the whole output of every step goes to $steps_log" >&2
step "install missing Debian packages"
scripts/install-deps.sh

step "format (.clang-format)"
scripts/format.sh --check

step "real getrandom consumers (Debian 13 glibc 2.41, Go 1.24; downloaded on the first run)"
consumers=$(scripts/fetch-consumers.sh)
cat "$consumers/.packages"

step "build (default preset)"
cmake --preset default -DVDSOFORGE_CONSUMER_ROOT="$consumers" >/dev/null
quietly cmake --build --preset default

step "tests (default preset)"
quietly_ctest --preset default
tests/conformance/summary.sh build/default
tests/exec/summary.sh build/default
tests/kernel/summary.sh build/default

step "ABI of the built images against the running kernel's vDSO"
build/default/tools/vdsoforge abi build/default/vdso_src/vdsoforge-getrandom.so
# The image of each kernel layout profile exports the same ABI, and its code
# reads where its profile says, as its note does.  Its data layout is judged
# too: the image of the running kernel's profile is COMPATIBLE (exit 0), the
# others INCOMPATIBLE (exit 1) by a failed layout.* check and nothing else.
kernel_profile=$(build/default/tools/vdsoforge abi build/default/vdso_src/vdsoforge-getrandom.so |
  sed -n 's/^  reference: .*; profile \(linux-[0-9.]*\), certain$/\1/p')
[ -n "$kernel_profile" ] || { echo "the running kernel's layout profile is unknown" >&2; exit 1; }
echo "running kernel: $kernel_profile"
for profile in linux-6.11 linux-6.13 linux-6.15; do
  status=0
  report=$(build/default/tools/vdsoforge abi "build/default/vdso_src/vdsoforge-getrandom-$profile.so") ||
    status=$?
  grep -E "^Result|^  image:" <<<"$report"
  grep -q "profile $profile, certain (its data-layout note agrees)" <<<"$report"
  # (set -e does not stop at a failed test inside && or after !: each one exits.)
  if [ "$profile" = "$kernel_profile" ]; then
    if [ "$status" != 0 ] || ! grep -q "^Result: COMPATIBLE" <<<"$report"; then
      echo "$profile: expected COMPATIBLE (exit 0) against the running kernel, exit $status" >&2
      exit 1
    fi
  elif [ "$status" != 1 ] || ! grep -q "^  FAIL layout.rng_data: " <<<"$report" ||
       grep -E "^  FAIL " <<<"$report" | grep -v "^  FAIL layout\." >/dev/null; then
    echo "$profile: expected INCOMPATIBLE (exit 1) by layout.* checks alone, exit $status" >&2
    exit 1
  fi
done

step "CI recipe (examples/ci) run locally"
quietly --keep '^test-recipe:' examples/ci/test-recipe.sh

step "benchmark pipeline: a short run through table, CSV, JSON and plot (numbers not judged)"
bench_out="$(mktemp -d)"
quietly scripts/bench.sh --min-time 0.01 --filter 'getrandom/(kernel_vdso|image_.*)/(4|4096)/' \
  --json "$bench_out/run.json" --csv "$bench_out/run.csv" --plot "$bench_out/plot.svg"
grep -q '^kernel_vdso,4096,1,' "$bench_out/run.csv"
grep -q '<svg' "$bench_out/plot.svg"
rm -rf "$bench_out"

step "build + tests under AddressSanitizer and UndefinedBehaviorSanitizer"
cmake --preset asan -DVDSOFORGE_CONSUMER_ROOT="$consumers" >/dev/null
quietly cmake --build --preset asan
quietly_ctest --preset asan

step "threaded tests under ThreadSanitizer (loader worker, per-thread pool, threaded conformance)"
cmake --preset tsan >/dev/null
quietly cmake --build --preset tsan
quietly_ctest --preset tsan

step "out-of-tree example against the installed package"
quietly --keep '^example\.sh:' scripts/example.sh

step "Debian package: lintian, throw-away root, the example against it"
quietly --keep '^(package|example)\.sh:|^[EW]: ' scripts/package.sh build/default

step ""
echo "all tests passed in $((SECONDS - steps_start)) s (whole output: $steps_log)"
