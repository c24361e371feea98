#!/usr/bin/env bash
# clang-format (.clang-format: Google, 100 columns) on the project's C and C++
# files (every tracked .c, .cpp and .h).
#   scripts/format.sh           rewrites the files in place
#   scripts/format.sh --check   lists every file that differs and fails (test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
case "$mode" in
  ""|--check) ;;
  *) echo "usage: scripts/format.sh [--check]" >&2; exit 2 ;;
esac

mapfile -t files < <(git ls-files '*.c' '*.cpp' '*.h')
[ ${#files[@]} -gt 0 ] || { echo "format.sh: no files to check" >&2; exit 2; }

if [ "$mode" != --check ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
differ=()
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || differ+=("$f")
done
if [ ${#differ[@]} -gt 0 ]; then
  printf 'format.sh: not clang-formatted (run scripts/format.sh): %s\n' "${differ[@]}" >&2
  exit 1
fi
echo "format.sh: ${#files[@]} files follow .clang-format"
