#!/usr/bin/env bash
# Fails when code outside lib/json hands bytes to jansson's parser directly:
# every reader of JSON goes through tars_json_parse_bounded or
# tars_json_load_file (tars/json.h), which check the size and the nesting
# (TARS_JSON_MAX_BYTES, TARS_JSON_MAX_DEPTH) in one place before jansson sees
# them (docs/reliability.md, Limits).
set -u
root=${1:-.}
bad=$(grep -rnE '\bjson_load(s|b|f|fd|_file|_callback)\(' "$root/lib" "$root/src" --include='*.c' |
      grep -v '^[^:]*lib/json/')
if [ -n "$bad" ]; then
  echo "JSON parsed without the bounds of tars/json.h (tars_json_parse_bounded, tars_json_load_file):"
  echo "$bad"
  exit 1
fi
echo "bounded json ok"
