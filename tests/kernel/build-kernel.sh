#!/usr/bin/env bash
# Builds the Linux 6.12 kernel the kernel harness boots, with its 64-bit vDSO
# taken from a vdso-image-64.c (`vdsoforge embed --format kernel`).
#
#   build-kernel.sh CACHE_DIR VDSO_IMAGE_64_C OUT_DIR
#
# leaves OUT_DIR/bzImage and OUT_DIR/vdso_test_getrandom, the kernel's own
# selftest built (static) from the same source tree.
#
# Both the source tree and the build live in CACHE_DIR, outside the clone,
# each under a name made of its inputs:
#   source-<package version>-<hook hash>/   Debian's linux-source-6.12 tarball,
#                                           extracted, with the Kbuild hook
#                                           (linux-6.12-vdso-image-source.patch)
#   build-<hash of source, config, compiler>/   the O= build directory
# A changed input makes a new directory, an unchanged one is reused, so a
# second run only recompiles vdso-image-64.c and relinks (seconds).  The
# cache is locked while a build runs; delete CACHE_DIR to start over.
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 CACHE_DIR VDSO_IMAGE_64_C OUT_DIR" >&2; exit 2; }
cache=$1
image_source=$(realpath "$2")
out=$3
here=$(cd "$(dirname "$0")" && pwd)
hook="$here/linux-6.12-vdso-image-source.patch"
fragment="$here/kernel.config"
tarball=/usr/src/linux-source-6.12.tar.xz

fail() { echo "build-kernel: $*" >&2; exit 1; }
[ -f "$tarball" ] || fail "$tarball is missing (apt-get install linux-source-6.12)"
[ -f "$image_source" ] || fail "no such file: $2"

short_hash() { sha256sum | cut -c1-12; }

mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9

source_version=$(dpkg-query -W -f='${Version}' linux-source-6.12)
source_key="${source_version//[^A-Za-z0-9.+-]/_}-$(short_hash <"$hook")"
source_dir="$cache/source-$source_key"
tree="$source_dir/linux-source-6.12"
if [ ! -f "$source_dir/.complete" ]; then
  rm -rf "$source_dir" "$source_dir.partial"
  mkdir -p "$source_dir.partial"
  tar -C "$source_dir.partial" -xJf "$tarball"
  patch -s -d "$source_dir.partial/linux-source-6.12" -p1 <"$hook"
  touch "$source_dir.partial/.complete"
  mv "$source_dir.partial" "$source_dir"
fi

build_key=$({
  echo "$source_key"
  cat "$fragment"
  gcc --version | sed -n 1p  # sed reads it all: head could SIGPIPE gcc, failing the pipe
  make --version | sed -n 1p
} | short_hash)
build="$cache/build-$build_key"
mkdir -p "$build"
log="$build/make.log"

run_make() {
  if ! make -C "$tree" O="$build" -j"$(nproc)" "$@" >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    fail "make $* failed; the full log is $log"
  fi
}

if [ ! -f "$build/.configured" ]; then
  : >"$log"
  run_make tinyconfig
  "$tree/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$fragment" \
    >>"$log" 2>&1 || fail "merge_config.sh failed; see $log"
  run_make olddefconfig
  # Kconfig drops an option whose dependencies are unmet without a word:
  # every line of the fragment must have survived.
  while IFS= read -r line; do
    case $line in CONFIG_*) grep -qx "$line" "$build/.config" || fail "$line did not stick" ;; esac
  done <"$fragment"
  touch "$build/.configured"
fi

run_make VDSO_IMAGE_64_SOURCE="$image_source" bzImage
mkdir -p "$out"
cp "$build/arch/x86/boot/bzImage" "$out/bzImage"

# As tools/testing/selftests/vDSO/Makefile builds it, but static: the guest
# has only what the initramfs brings.
selftests="$tree/tools/testing/selftests/vDSO"
gcc -std=gnu99 -O2 -D_GNU_SOURCE= -static -isystem "$tree/tools/include" -isystem "$tree/include/uapi" \
  -o "$out/vdso_test_getrandom" "$selftests/vdso_test_getrandom.c" "$selftests/parse_vdso.c" \
  >"$out/vdso_test_getrandom.log" 2>&1 ||
  fail "building vdso_test_getrandom failed: $(tail -n 5 "$out/vdso_test_getrandom.log")"
