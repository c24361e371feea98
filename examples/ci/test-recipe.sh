#!/usr/bin/env bash
# Runs the CI recipe's commands locally (scripts/test.sh calls this): both
# YAML files must call abi-gate.sh; the gate must pass the built image with
# valid reports, and fail a program given as the image with exit 2 and a
# JUnit error.
set -euo pipefail
cd "$(dirname "$0")/../.."

for recipe in examples/ci/gitlab-ci.yml examples/ci/github-workflow.yml; do
  grep -q -- "- examples/ci/abi-gate.sh\|run: examples/ci/abi-gate.sh" "$recipe" ||
    { echo "test-recipe: $recipe does not call examples/ci/abi-gate.sh" >&2; exit 1; }
done

reports="$(mktemp -d)"
trap 'rm -rf "$reports"' EXIT
validate() {
  xmllint --noout --schema tests/tools/junit.xsd "$1/abi.xml"
  /usr/bin/python3 tests/tools/validate_sarif.py tests/tools/sarif-2.1.0-subset.schema.json \
    "$1/abi.sarif"
}

VDSOFORGE_REPORTS="$reports/pass" examples/ci/abi-gate.sh
validate "$reports/pass"
[ "$(xmllint --xpath 'string(/testsuites/@failures)' "$reports/pass/abi.xml")" = 0 ] ||
  { echo "test-recipe: the built image should pass" >&2; exit 1; }

status=0
VDSOFORGE_REPORTS="$reports/fail" examples/ci/abi-gate.sh /bin/ls || status=$?
[ "$status" -eq 2 ] || { echo "test-recipe: /bin/ls should exit 2, got $status" >&2; exit 1; }
validate "$reports/fail"
[ "$(xmllint --xpath 'string(/testsuites/@errors)' "$reports/fail/abi.xml")" = 1 ] ||
  { echo "test-recipe: /bin/ls should leave a JUnit error" >&2; exit 1; }
echo "test-recipe: the CI recipe passes the built image and fails /bin/ls, reports valid"
