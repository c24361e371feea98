#!/usr/bin/env bash
# Builds the kernel's own vdso_test_getrandom from the Debian linux-source
# tarball (its selftest, unmodified), for the exec test that runs it on the
# image: it checks that a getrandom served by the vDSO makes no system call,
# from a child that its parent traces with PTRACE_TRACEME.
# usage: build_kernel_selftest.sh TARBALL OUTPUT
set -euo pipefail
tarball=$1 out=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
top=linux-source-6.12
tar -xJf "$tarball" -C "$work" "$top/tools/testing/selftests/vDSO" \
  "$top/tools/testing/selftests/kselftest.h" "$top/tools/include" \
  "$top/include/uapi/linux/random.h"
src=$work/$top/tools/testing/selftests/vDSO
# The selftest Makefile's flags for this program (CFLAGS += -isystem ...).
gcc -std=gnu99 -O2 -D_GNU_SOURCE -isystem "$work/$top/tools/include" \
  -isystem "$work/$top/include/uapi" -o "$out" \
  "$src/vdso_test_getrandom.c" "$src/parse_vdso.c" -lpthread
echo "built $out"
