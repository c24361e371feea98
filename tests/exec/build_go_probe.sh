#!/usr/bin/env bash
# Builds the Go probe with the Go 1.24 toolchain fetched from Debian 13,
# offline (standard library only, no module downloads, no toolchain switch).
# usage: build_go_probe.sh CONSUMER_ROOT SOURCE_DIR OUTPUT GOCACHE_DIR
set -euo pipefail
root=$1 src=$2 out=$3 cache=$4
goroot=$root/usr/lib/go-1.24
if [ ! -x "$goroot/bin/go" ]; then
  echo "SKIP: no Go 1.24 toolchain in $root (run scripts/fetch-consumers.sh)"
  exit 77
fi
mkdir -p "$cache" "$(dirname "$out")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src"/*.go "$work/"
printf 'module vdsoforge.example/goprobe\n\ngo 1.24\n' >"$work/go.mod"
cd "$work"
env -i PATH=/usr/bin:/bin HOME="$work" GOROOT="$goroot" GOCACHE="$cache" GOPATH="$work/gopath" \
  GOTOOLCHAIN=local GOPROXY=off GOFLAGS= CGO_ENABLED=0 GOTELEMETRY=off \
  "$goroot/bin/go" build -trimpath -o "$out" .
"$goroot/bin/go" version "$out" 2>/dev/null || true
echo "built $out"
