#!/usr/bin/env bash
# Fails when a lower layer includes a header of a higher one (docs/architecture.md).
# Order: base < json,yaml < stats,net < http,ws < store < auth < load,check < report,server < release;
# src/cli may include anything.
set -u
root=${1:-.}
declare -A layer_of=(
  [err]=base [alloc]=base [buf]=base [clock]=base [crypto]=base [log]=base [str]=base [embed]=base [version]=base [rng]=base [file]=base [dassert]=base [banned]=base [proc]=base
  [json]=json [yaml]=yaml
  [hist]=stats [stats]=stats [judge]=stats
  [url]=net [net]=net
  [http]=http [expo]=http
  [store]=store [store_integrity]=store [store_bench]=store
  [auth]=auth [ratelimit]=auth [trace]=auth
  [load]=load
  [check]=check [api_snapshot]=check [curl_easy]=check
  [report]=report [signoff]=report [run]=report [report_html]=report [template]=report [report_vars]=report [compare]=report [report_svg]=report [report_xml]=report
  [server]=server [demo]=server
  [ws]=ws [ws_stress]=ws
  [release]=release [package]=release
)
declare -A rank=([base]=0 [json]=1 [yaml]=1 [stats]=2 [net]=2 [http]=3 [store]=4 [auth]=5 [load]=6 [check]=6 [report]=7 [server]=7 [ws]=3 [release]=8)
bad=0
for dir in "${!rank[@]}"; do
  [ -d "$root/lib/$dir" ] || continue
  while IFS=: read -r file line inc; do
    name=$(sed -E 's/.*"tars\/([a-z_]+)\.h".*/\1/' <<<"$inc")
    l=${layer_of[$name]:-}
    if [ -z "$l" ]; then
      echo "$file:$line: header tars/$name.h has no layer in tests/layering.sh"; bad=1
    elif [ "${rank[$l]}" -gt "${rank[$dir]}" ]; then
      echo "$file:$line: layer $dir includes tars/$name.h from higher layer $l"; bad=1
    fi
  done < <(grep -rnoE '#include "tars/[a-z_]+\.h"' "$root/lib/$dir" | sed -E 's/^([^:]+):([0-9]+):(.*)$/\1:\2:\3/')
done
[ $bad -eq 0 ] && echo "layering ok"
exit $bad
