#!/usr/bin/env bash
# The main job: install what is missing for the tool and the image only,
# build those (about 90 s on 2 cores, not the test suite, which is not even
# configured), show what was built and draw random bytes through it.
# Arguments go to `vdsoforge run`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything but the tool's own output goes to stderr, so `demo.sh -n N | ...`
# pipes exactly the random bytes.
source scripts/steps.sh
step "install missing Debian packages (the build group: compilers, CMake, Zydis, CLI11, JSON)"
scripts/install-deps.sh build >&2
step "configure (build/default, without tests, fuzzers and benchmarks)"
# scripts/test.sh's `cmake --preset default` turns them on again (the preset says ON).
cmake --preset default -DVDSOFORGE_BUILD_TESTS=OFF -DVDSOFORGE_BUILD_FUZZERS=OFF \
  -DVDSOFORGE_BUILD_BENCHMARKS=OFF >/dev/null
step "build the vdsoforge tool and the getrandom image"
cmake --build --preset default --target vdsoforge vdsoforge-getrandom >&2
step ""
echo "demo.sh: the tool is build/default/tools/vdsoforge (see README.md to install it)" >&2
exec build/default/tools/vdsoforge run "$@"
