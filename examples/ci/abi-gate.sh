#!/usr/bin/env bash
# The ABI gate the CI recipes here call (gitlab-ci.yml, github-workflow.yml):
# build the vdsoforge tool and the image, then fail the job unless the image
# is a drop-in for the reference vDSO, leaving JUnit and SARIF reports for
# the CI system to render.
#
#   examples/ci/abi-gate.sh [IMAGE]     (default: the image this project builds)
#
# Environment:
#   VDSOFORGE_TOOL        an installed vdsoforge to use instead of building one
#   VDSOFORGE_REFERENCE   a vDSO dump (`vdsoforge dump -o FILE` on the target) to
#                         compare with; default: the running kernel's vDSO, which
#                         on a CI runner is the runner's kernel
#   VDSOFORGE_REPORTS     where the reports go (default: abi-reports)
# Exit status: that of `vdsoforge abi`: 0 compatible, 1 not, 2 unreadable input,
# 3 the reference kernel's data layout undetermined (set $VDSOFORGE_REFERENCE_PROFILE).
set -euo pipefail
cd "$(dirname "$0")/../.."

tool="${VDSOFORGE_TOOL:-}"
if [ -z "$tool" ]; then
  echo "abi-gate: building the tool and the image (build/default)"
  cmake --preset default >/dev/null
  cmake --build --preset default --target vdsoforge vdsoforge-getrandom >/dev/null
  tool=build/default/tools/vdsoforge
fi
image="${1:-build/default/vdso_src/vdsoforge-getrandom.so}"
reports="${VDSOFORGE_REPORTS:-abi-reports}"
mkdir -p "$reports"

args=(abi "$image" --junit "$reports/abi.xml" --sarif "$reports/abi.sarif")
[ -n "${VDSOFORGE_REFERENCE:-}" ] && args+=(--reference "$VDSOFORGE_REFERENCE")
[ -n "${VDSOFORGE_REFERENCE_PROFILE:-}" ] &&
  args+=(--reference-profile "$VDSOFORGE_REFERENCE_PROFILE")
status=0
"$tool" "${args[@]}" >"$reports/abi.txt" || status=$?

case $status in
  0) grep '^Result:' "$reports/abi.txt" ;;
  1 | 3) sed -n '/^Result:/,$p' "$reports/abi.txt" ;;
  *) echo "abi-gate: vdsoforge abi could not check $image (exit $status)" >&2 ;;
esac
echo "abi-gate: reports in $reports/abi.xml (JUnit) and $reports/abi.sarif (SARIF)"
exit "$status"
