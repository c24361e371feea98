#!/usr/bin/env bash
# Configures, builds and runs examples/custom-image against an installed
# vdsoforge only (the source tree is not on any search path of the example):
#   scripts/example.sh [BUILD_DIR]      install BUILD_DIR (default build/default,
#                                       built already) into a temporary prefix first
#   scripts/example.sh --prefix DIR     use what is installed under DIR (e.g. the
#                                       .deb unpacked into a throw-away root)
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ "${1:-}" = "--prefix" ]; then
  prefix="$(realpath "${2:?example.sh: --prefix needs a directory}")"
else
  build_dir="${1:-build/default}"
  [ -f "$build_dir/CMakeCache.txt" ] || { echo "example.sh: $build_dir is not a configured build" >&2; exit 2; }
  prefix="$work/prefix"
  cmake --build "$build_dir"
  cmake --install "$build_dir" --prefix "$prefix" >/dev/null
  echo "example.sh: installed into $prefix"
fi

# Every installed header stands alone: it compiles with only the prefix on the
# include path (none names a Zydis type: the decoder set-up is private).
headers=("$prefix"/include/vdsoforge/*.h)
[ ${#headers[@]} -gt 1 ] || { echo "example.sh: no headers under $prefix/include/vdsoforge" >&2; exit 1; }
for header in "${headers[@]}"; do
  printf '#include <vdsoforge/%s>\n' "$(basename "$header")" |
    clang++ -std=c++20 -fsyntax-only -Werror -I"$prefix/include" -x c++ - ||
    { echo "example.sh: installed header $(basename "$header") does not compile on its own" >&2; exit 1; }
done
echo "example.sh: ${#headers[@]} installed headers compile on their own"

cmake -S examples/custom-image -B "$work/build" -G Ninja \
      -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$work/build"
ctest --test-dir "$work/build" --output-on-failure
"$work/build/custom-image-demo"

# The installed tool judges the example's image against the project's own
# installed image: everything matches except the extra export, which no
# kernel provides, so `abi` must say incompatible (1) and name that symbol.
status=0
"$prefix/bin/vdsoforge" abi "$work/build/custom-vdso.so" \
    --reference "$prefix/lib/vdsoforge/images/vdsoforge-getrandom.so" >"$work/abi.txt" || status=$?
if [ "$status" -ne 1 ] || ! grep -q "FAIL symbols.__vdso_vdsoforge_answer: image __vdso_vdsoforge_answer@@LINUX_2.6 | reference not exported" "$work/abi.txt"; then
  cat "$work/abi.txt"
  echo "example.sh: expected abi to flag __vdso_vdsoforge_answer (exit 1), got exit $status" >&2
  exit 1
fi
echo "example.sh: installed 'vdsoforge abi' flags the extra export as expected"

# Without an IMAGE argument the installed tool checks the installed image.
"$prefix/bin/vdsoforge" abi --reference "$prefix/lib/vdsoforge/images/vdsoforge-getrandom.so" >"$work/abi-default.txt"
grep -q "image:     $prefix/lib/vdsoforge/images/vdsoforge-getrandom.so" "$work/abi-default.txt" || {
  cat "$work/abi-default.txt"; echo "example.sh: the installed abi did not default to the installed image" >&2; exit 1; }
echo "example.sh: installed 'vdsoforge abi' defaults to the installed image"

# `run` and `exec` default to the installed image as well, and `exec --demo`
# runs the installed consumer: nothing reaches for the build tree.
installed_image="$prefix/lib/vdsoforge/images/vdsoforge-getrandom.so"
"$prefix/bin/vdsoforge" run --hex -n 16 >"$work/run.txt"
grep -qx "image $installed_image" "$work/run.txt" || {
  cat "$work/run.txt"; echo "example.sh: the installed run did not default to the installed image" >&2; exit 1; }
"$prefix/bin/vdsoforge" exec --report "$work/exec.json" --demo >"$work/demo.txt"
grep -q "getrandom-probe: 1000 calls of 16 bytes, all served" "$work/demo.txt" &&
  grep -q "\"image\": \"$installed_image\"" "$work/exec.json" &&
  grep -q "\"program\": \"$prefix/lib/vdsoforge/getrandom-probe\"" "$work/exec.json" || {
  cat "$work/demo.txt" "$work/exec.json"
  echo "example.sh: the installed exec --demo did not run the installed consumer on the installed image" >&2
  exit 1
}
echo "example.sh: installed 'vdsoforge run' and 'exec --demo' use the installed image and consumer"
