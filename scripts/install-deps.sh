#!/usr/bin/env bash
# Installs, on Debian 12, the packages vdsoforge needs for one purpose or
# several, and says what it is doing while apt runs:
#   scripts/install-deps.sh GROUP...      (no GROUP: every group)
#     build      the tool and the image (scripts/demo.sh)
#     tests      configure and build the test suite and the benchmark
#     bench      the benchmark's plot (scripts/bench.sh)
#     package    the Debian package and its checks (scripts/package.sh)
#     consumers  fetching Debian 13's glibc and Go (scripts/fetch-consumers.sh)
#     format     the format check (scripts/format.sh)
#     kernel     the kernel harness (tests/kernel): 6.12 source, its build, QEMU
# Does nothing when all are present; needs root (or sudo) otherwise.  apt and
# dpkg write to a log file, shown only if the installation fails.
set -euo pipefail

declare -A groups=(
  [build]="clang lld llvm binutils cmake ninja-build libzydis-dev libcli11-dev nlohmann-json3-dev"
  # Catch2, libsodium (the independent ChaCha20), the fuzzers' runtime, the
  # benchmark's comparisons, and the tools the tests call: abidiff, groff,
  # xmllint and python3-jsonschema (JUnit and SARIF validation).
  [tests]="catch2 libsodium-dev pkg-config libbenchmark-dev libssl-dev libclang-rt-14-dev
           abigail-tools groff-base libxml2-utils python3 python3-jsonschema"
  [bench]="gnuplot-nox"
  [package]="dpkg-dev lintian man-db file"
  [consumers]="debian-archive-keyring"
  [format]="clang-format git"
  # the kernel harness (tests/kernel): Linux 6.12's source, what building a
  # kernel from it takes, initramfs packing and QEMU (Debian's own 6.12 kernel
  # image is added below: its package name is looked up)
  [kernel]="linux-source-6.12 gcc make flex bison bc libelf-dev xz-utils patch cpio qemu-system-x86"
)
order=(build tests bench package consumers format kernel)

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=("${order[@]}")
packages=()
for group in "${wanted[@]}"; do
  [ -n "${groups[$group]+set}" ] ||
    { echo "install-deps: unknown group '$group' (groups: ${order[*]})" >&2; exit 2; }
  read -r -a members <<<"${groups[$group]//$'\n'/ }"
  packages+=("${members[@]}")
done

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
if [[ " ${wanted[*]} " == *" kernel "* ]] && ! ls /boot/vmlinuz-6.12.*+deb12-amd64 >/dev/null 2>&1; then
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
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything for ${wanted[*]} is installed"
  exit 0
fi

log="$(mktemp -t vdsoforge-install-deps.XXXXXX.log)"
start=$SECONDS
export DEBIAN_FRONTEND=noninteractive

# Runs one apt-get step in the background and prints a line every 15 s
# (packages downloaded and set up so far), so a long install is not silence.
apt_step() {
  local what="$1"
  shift
  echo "install-deps: $what"
  "${sudo_cmd[@]}" "$@" >>"$log" 2>&1 &
  local pid=$! status=0
  while kill -0 "$pid" 2>/dev/null; do
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
      sleep 1
      kill -0 "$pid" 2>/dev/null || break
    done
    kill -0 "$pid" 2>/dev/null || break
    echo "install-deps:   ... $((SECONDS - start)) s: $(grep -c '^Get:' "$log" || true) downloaded," \
         "$(grep -c '^Setting up' "$log" || true) set up"
  done
  wait "$pid" || status=$?
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log" >&2
    echo "install-deps: apt-get failed; the full log is $log" >&2
    exit 1
  fi
}

echo "install-deps: ${#missing[@]} packages missing for ${wanted[*]}: ${missing[*]} (log: $log)"
apt_step "updating the package lists (apt-get update)" apt-get update
apt_step "downloading and installing ${#missing[@]} packages and what they depend on" \
  apt-get install -y -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}"
echo "install-deps: done in $((SECONDS - start)) s"
rm -f "$log"
