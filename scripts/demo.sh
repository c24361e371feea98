#!/usr/bin/env bash
# The main job: install what is missing, build the tool and the image (only
# those: about 90 s on 2 cores, not the whole test suite), show what was built
# and draw random bytes through it.  Arguments go to `vdsoforge run`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything but the tool's own output goes to stderr, so `demo.sh -n N | ...`
# pipes exactly the random bytes.
source scripts/steps.sh
step "install missing Debian packages"
scripts/install-deps.sh >&2
step "configure (build/default)"
cmake --preset default >/dev/null
step "build the vdsoforge tool and the getrandom image"
cmake --build --preset default --target vdsoforge vdsoforge-getrandom >&2
step ""
echo "demo.sh: the tool is build/default/tools/vdsoforge (see README.md to install it)" >&2
exec build/default/tools/vdsoforge run "$@"
