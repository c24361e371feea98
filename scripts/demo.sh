#!/usr/bin/env bash
# The main job: install what is missing, build the image, show what was built
# and draw random bytes through it.  Arguments go to `vdsoforge run`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything but the tool's own output goes to stderr, so `demo.sh -n N | ...`
# pipes exactly the random bytes.
scripts/install-deps.sh >&2
cmake --preset default >/dev/null
cmake --build --preset default >&2
exec build/default/tools/vdsoforge run "$@"
