#!/usr/bin/env bash
# The main job: install what is missing, build the image, show what was built
# and draw random bytes through it.  Arguments go to `vdsoforge run`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default
exec build/default/tools/vdsoforge run "$@"
