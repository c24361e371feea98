#!/usr/bin/env bash
# Runs a test program inside a new time namespace whose monotonic and boot
# clocks are a day ahead of the host's, so the kernel's vDSO (the reference
# the program compares against) serves them through the namespace's page.
# Exit 77 (SKIP for CTest) with the reason when no namespace can be made.
set -euo pipefail
if ! reason=$(unshare --fork --time true 2>&1); then
  echo "SKIP: cannot create a time namespace (unshare --time needs CAP_SYS_ADMIN and CONFIG_TIME_NS): $reason"
  exit 77
fi
exec unshare --fork --time --monotonic 86400 --boottime 86400 "$@"
