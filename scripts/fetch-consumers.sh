#!/usr/bin/env bash
# Fetches the real getrandom-vDSO consumers `vdsoforge exec` is tested against,
# from Debian 13 (trixie), into a private cache directory:
#   libc6            glibc 2.41 (ld-linux-x86-64.so.2, libc.so.6)
#   golang-1.24-go   the Go 1.24 toolchain, and golang-1.24-src its standard library
#
# apt runs with its own sources list, state and cache directories under the
# cache directory, and packages are only unpacked with `dpkg -x`: the host's
# apt configuration and installed packages are never touched.  A second run
# with everything unpacked does nothing.
#
# usage: scripts/fetch-consumers.sh [CACHE_DIR]
#   CACHE_DIR defaults to $VDSOFORGE_CONSUMER_CACHE, else build/consumers.
# Prints the unpacked root (CACHE_DIR/root) on stdout, and on stderr whether it
# was downloaded now or found in the cache.
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${1:-${VDSOFORGE_CONSUMER_CACHE:-build/consumers}}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
root=$cache/root
stamp=$root/.complete-v1
packages=(libc6 libgcc-s1 golang-1.24-go golang-1.24-src)

if [ -f "$stamp" ]; then
  echo "fetch-consumers: cached: $root was fetched by an earlier run (remove $cache to fetch again)" >&2
  echo "$root"
  exit 0
fi

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ ! -f "$keyring" ] || ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
  echo "fetch-consumers: needs apt-get, dpkg and $keyring (package debian-archive-keyring)" >&2
  exit 1
fi

apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/etc/preferences.d" \
  "$apt_dir/etc/apt.conf.d" "$cache/debs"
touch "$apt_dir/status"
cat >"$apt_dir/sources.list" <<SOURCES
deb [arch=amd64 signed-by=$keyring] http://deb.debian.org/debian trixie main
SOURCES

apt_options=(
  -o Dir::Etc::SourceList="$apt_dir/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o Dir::Etc::Preferences="$apt_dir/etc/preferences"
  -o Dir::Etc::PreferencesParts="$apt_dir/etc/preferences.d"
  -o Dir::State="$apt_dir"
  -o Dir::State::Lists="$apt_dir/lists"
  -o Dir::State::status="$apt_dir/status"
  -o Dir::Cache="$apt_dir"
  -o Dir::Cache::archives="$apt_dir/archives"
  -o APT::Architecture=amd64
  -o APT::Architectures=amd64
  -o Acquire::Languages=none
  -o Debug::NoLocking=1
  -o APT::Sandbox::User=root
)

echo "fetch-consumers: apt-get update (Debian 13 trixie, private state in $apt_dir)" >&2
apt-get "${apt_options[@]}" -qq update >&2

echo "fetch-consumers: downloading ${packages[*]}" >&2
(cd "$cache/debs" && apt-get "${apt_options[@]}" -qq download "${packages[@]}" >&2)

rm -rf "$root"
mkdir -p "$root"
for deb in "$cache"/debs/*.deb; do
  dpkg -x "$deb" "$root"
done
# What was fetched, for the record (and for the tests' messages).
for deb in "$cache"/debs/*.deb; do
  dpkg-deb -f "$deb" Package Version | paste -sd' '
done >"$root/.packages"
touch "$stamp"
echo "fetch-consumers: downloaded and unpacked into $root" >&2
echo "$root"
