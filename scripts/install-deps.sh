#!/usr/bin/env bash
# Installs, on Debian 12, every package vdsoforge needs to build and test.
# Does nothing when all are present; needs root (or sudo) otherwise.  apt and
# dpkg write to a log file, shown only if the installation fails.
set -euo pipefail

packages=(
  clang lld llvm binutils cmake ninja-build pkg-config
  catch2 libsodium-dev libzydis-dev libcli11-dev nlohmann-json3-dev
  libbenchmark-dev libclang-rt-14-dev
  # the benchmark's comparisons and its plot (scripts/bench.sh)
  libssl-dev gnuplot-nox
  # report validation (JUnit schema, SARIF JSON schema)
  libxml2-utils python3 python3-jsonschema
  # the man page, the Debian package and its checks
  groff-base man-db file dpkg-dev lintian
  # the ABI cross-check with libabigail
  abigail-tools
  # fetching Debian 13's glibc and Go for the exec tests (scripts/fetch-consumers.sh)
  debian-archive-keyring
  # the format check (scripts/format.sh)
  clang-format git
  # the kernel harness (tests/kernel): Linux 6.12's source, what building a
  # kernel from it takes, initramfs packing and QEMU
  linux-source-6.12 gcc make flex bison bc libelf-dev xz-utils patch cpio qemu-system-x86
)

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# The kernel harness also boots Debian's own 6.12 kernel: the unsigned image
# of the same version as linux-source-6.12 when the archive still has it,
# else the newest 6.12 one.  Its package name carries the ABI version, so it
# is looked up rather than listed.
kernel_images() {
  apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' |
    cut -d' ' -f1 | sort -V
}
if ! ls /boot/vmlinuz-6.12.*+deb12-amd64 >/dev/null 2>&1; then
  kernel_images=$(kernel_images)
  if [ -z "$kernel_images" ]; then  # package lists never fetched on this machine
    "${sudo_cmd[@]}" apt-get update -qq
    kernel_images=$(kernel_images)
  fi
  source_version=$(apt-cache policy linux-source-6.12 | sed -n 's/^ *Candidate: \([0-9.]*\)-.*/\1/p')
  kernel_image=$(grep -Fx "linux-image-$source_version+deb12-amd64-unsigned" <<<"$kernel_images" ||
                   tail -n 1 <<<"$kernel_images")
  [ -n "$kernel_image" ] && packages+=("$kernel_image")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

log="$(mktemp -t vdsoforge-install-deps.XXXXXX.log)"
echo "install-deps: installing ${#missing[@]} packages: ${missing[*]} (log: $log)"
start=$SECONDS
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo_cmd[@]}" apt-get update -qq &&
       "${sudo_cmd[@]}" apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends \
         "${missing[@]}"; } >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "install-deps: apt-get failed; the full log is $log" >&2
  exit 1
fi
echo "install-deps: done in $((SECONDS - start)) s"
rm -f "$log"
