#!/usr/bin/env bash
# Fails when code opens a file for writing other than through tars/file.h
# (tars_file_write, tars_file_write_with, tars_json_write_file), which write a
# temporary file and rename it: a full disk or a kill never leaves half a
# result file. Allowed exceptions, each for a reason:
#   lib/base/file.c            the helper itself
#   O_APPEND                   append-only logs (events.jsonl, step logs): one write per line
#   O_EXCL                     secrets created once (demo credentials, JWT secret)
#   /dev/null                  a child's stderr
#   "a lock file"              flock(2) targets, empty
set -u
root=${1:-.}
bad=$(grep -rnE 'fopen\([^)]*"[wa]b?\+?"|json_dump_file|open\([^;]*O_(WRONLY|RDWR)' \
        "$root/lib" "$root/src" --include='*.c' |
      grep -v '^[^:]*lib/base/file\.c:' | grep -vE 'O_APPEND|O_EXCL|/dev/null|a lock file')
if [ -n "$bad" ]; then
  echo "files written without tars/file.h (a full disk or a kill would leave half a file):"
  echo "$bad"
  exit 1
fi
echo "whole files ok"
