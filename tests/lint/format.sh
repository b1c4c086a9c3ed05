#!/usr/bin/env bash
# Every C file git tracks is as clang-format 14 writes it with the repository's .clang-format
# (make format rewrites them). Prints the files that differ and fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
bad=0
while IFS= read -r f; do
  if ! clang-format-14 --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not clang-format clean: $f (make format)"
    bad=1
  fi
done < <(git ls-files '*.c' '*.h')
[ "$bad" = 0 ] && echo "format: every tracked C file is clang-format clean"
exit "$bad"
