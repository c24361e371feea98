#!/usr/bin/env bash
# Builds the Debian package from a configured, built tree, checks it with
# lintian (no errors allowed), unpacks it into a throw-away root and builds
# and runs examples/custom-image against that root only.
#   scripts/package.sh [BUILD_DIR]      (default: build/default)
# Leaves BUILD_DIR/package/vdsoforge_<version>_amd64.deb behind.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build/default}"
[ -f "$build_dir/CPackConfig.cmake" ] || { echo "package.sh: $build_dir is not a configured build" >&2; exit 2; }

version="$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build_dir/CMakeCache.txt")"
deb="$build_dir/package/vdsoforge_${version}_amd64.deb"
rm -rf "$build_dir/package"
cpack --config "$build_dir/CPackConfig.cmake" -B "$build_dir/package" >/dev/null
[ -f "$deb" ] || { echo "package.sh: cpack did not produce $deb" >&2; exit 1; }
echo "package.sh: built $deb"
dpkg-deb -f "$deb" Package Version Architecture Depends Recommends

# lintian warns that it runs as root; that is the only line dropped.
lintian --fail-on error --suppress-tags unused-override "$deb" 2>&1 |
  grep -v 'running with root privileges is not recommended' || true
lintian --fail-on error "$deb" >/dev/null 2>&1 || { echo "package.sh: lintian reports errors" >&2; exit 1; }
echo "package.sh: lintian reports no errors"

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
echo "package.sh: unpacked into the throw-away root $root"
man -l "$root/usr/share/man/man1/vdsoforge.1.gz" >/dev/null
echo "package.sh: the unpacked tool runs: vdsoforge --version prints $("$root/usr/bin/vdsoforge" --version)"
scripts/example.sh --prefix "$root/usr"
