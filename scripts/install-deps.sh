#!/usr/bin/env bash
# Installs, on Debian 12, every package vdsoforge needs to build and test.
# Does nothing when all are present; needs root (or sudo) otherwise.
set -euo pipefail

packages=(
  clang lld llvm binutils cmake ninja-build pkg-config
  catch2 libsodium-dev libzydis-dev libcli11-dev nlohmann-json3-dev
  libbenchmark-dev libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
