#!/usr/bin/env bash
# The layering rules of docs/architecture.md and docs/conventions.md, checked over the tree:
#  1. a lower layer never includes a header of a higher one;
#  2. each layer (and each public header, in its layer) includes only the system and third-party
#     headers on its allow-list below (libcurl in check and release only, and so on);
#  3. one prefix, one layer: an exported name whose first word after tars_ names a public header
#     (tars_http_..., tars_json_..., tars_check_...) is declared in a header of that header's layer.
# Order: base < json,yaml < stats,net < http,ws < store < auth < load,check < report,server < release;
# src/cli may include any tars header.
# Usage: layering.sh [ROOT]   or   layering.sh --self-test (proves each rule catches a violation).
set -u

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
  [report]=report [signoff]=report [run]=report [report_html]=report [report_template]=report [report_vars]=report [compare]=report [report_svg]=report [report_xml]=report
  [server]=server [demo]=server
  [ws]=ws [ws_stress]=ws
  [release]=release [package]=release
)
declare -A rank=([base]=0 [json]=1 [yaml]=1 [stats]=2 [net]=2 [http]=3 [store]=4 [auth]=5 [load]=6 [check]=6 [report]=7 [server]=7 [ws]=3 [release]=8)

# System headers every layer may use: C11 and the basic POSIX ones.
common='assert ctype errno fcntl float inttypes limits math signal stdalign stdarg stdatomic stdbool stddef stdint stdio stdlib string strings time unistd pthread sys/types sys/stat sys/time'
sockets='sys/socket netinet/in netinet/tcp arpa/inet netdb poll sys/epoll'
# Per layer: the system headers beyond $common and the third-party ones (a trailing / allows a
# library's directory). jansson is the shared document type from lib/json up.
declare -A allow=(
  [base]="openssl/ sys/random sys/wait"
  [json]="jansson"
  [yaml]="jansson yaml"
  [stats]="jansson"
  [net]="$sockets openssl/"
  [http]="$sockets http_parser"
  [ws]="$sockets jansson openssl/evp"
  [store]="jansson libpq-fe sqlite3"
  [auth]="$sockets jansson jwt openssl/"
  [load]="$sockets jansson regex"
  [check]="jansson curl/ zlib libgen"
  [report]="jansson cmark-gfm cmark-gfm-core-extensions dirent sys/file sys/utsname"
  [server]="$sockets jansson h2o h2o/ dirent sys/resource"
  [release]="jansson curl/ archive archive_entry dirent ftw sys/file sys/utsname sys/wait"
  [cli]="jansson getopt sys/resource"
)

allowed() { # layer header-without-.h
  local w
  for w in $common ${allow[$1]}; do
    case $w in
    */) [[ $2 == "$w"* ]] && return 0 ;;
    *) [ "$2" = "$w" ] && return 0 ;;
    esac
  done
  return 1
}

check_tree() {
  local root=$1 bad=0 dir file line inc name l layer h ln word owner
  # 1. tars headers by layer
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
    done < <(grep -rnoE '#include "tars/[a-z_]+\.h"' "$root/lib/$dir")
  done
  # 2. system and third-party headers by layer
  while IFS=: read -r file line inc; do
    case $file in
    */include/tars/*) name=$(basename "$file" .h); layer=${layer_of[$name]:-} ;;
    */src/cli/*) layer=cli ;;
    *) layer=$(sed -E 's#.*/lib/([a-z]+)/.*#\1#' <<<"$file") ;;
    esac
    if [ -z "$layer" ]; then
      echo "$file: public header with no layer in tests/layering.sh"; bad=1; continue
    fi
    h=$(sed -E 's/#include <(.+)\.h>/\1/' <<<"$inc")
    if ! allowed "$layer" "$h"; then
      echo "$file:$line: layer $layer may not include <$h.h> (allow-list in tests/layering.sh)"; bad=1
    fi
  done < <(grep -rnoE '#include <[^>]+\.h>' "$root/lib" "$root/include/tars" "$root/src/cli" 2>/dev/null |
             grep -v '/include/tars/banned.h:')
  # 3. one prefix, one layer
  for h in "$root"/include/tars/*.h; do
    name=$(basename "$h" .h)
    while read -r ln word; do
      owner=${layer_of[$word]:-}
      [ -n "$owner" ] || continue
      [ -e "$root/include/tars/$word.h" ] || continue
      if [ "$owner" != "${layer_of[$name]:-}" ]; then
        echo "$h:$ln: tars_${word}_... belongs to tars/$word.h's layer $owner, not ${layer_of[$name]:-?} (rename or move it)"; bad=1
      fi
    done < <(grep -nE '^[a-zA-Z].*[ *]tars_[a-z0-9_]+\(|^(struct|enum|union) tars_[a-z0-9_]+ \{|^typedef .*tars_[a-z0-9_]+;' "$h" |
               grep -v '^[0-9]*:#' |
               sed -E 's/^([0-9]+):.*\btars_([a-z0-9]+)(_[a-z0-9_]*)?( \{|\(|;).*/\1 \2/')
  done
  return $bad
}

self_test() {
  local tmp rc=0 out
  tmp=$(mktemp -d) || exit 2
  trap 'rm -rf "$tmp"' RETURN
  mkdir -p "$tmp/lib/base" "$tmp/lib/check" "$tmp/lib/json" "$tmp/include/tars" "$tmp/src/cli"
  printf '#include "tars/err.h"\n#include <string.h>\n' >"$tmp/lib/base/ok.c"
  printf '#include <jansson.h>\nint tars_json_parse(const char *s);\n' >"$tmp/include/tars/json.h"
  printf 'int tars_check_one(void);\n' >"$tmp/include/tars/check.h"
  printf 'int tars_err_set(void);\n' >"$tmp/include/tars/err.h"
  if ! out=$(check_tree "$tmp"); then echo "self-test: a clean tree failed: $out"; return 1; fi
  for bad in 'lib/base/up.c|#include "tars/check.h"|higher layer' \
             'lib/json/curl.c|#include <curl/curl.h>|may not include <curl/curl.h>' \
             'include/tars/check.h|int tars_json_walk(void);|belongs to tars/json.h'; do
    IFS='|' read -r f text want <<<"$bad"
    cp "$tmp/$f" "$tmp/$f.orig" 2>/dev/null
    printf '%s\n' "$text" >>"$tmp/$f"
    if out=$(check_tree "$tmp"); then
      echo "self-test: '$text' in $f was not caught"; rc=1
    elif ! grep -qF "$want" <<<"$out"; then
      echo "self-test: '$text' in $f failed for another reason: $out"; rc=1
    fi
    if [ -e "$tmp/$f.orig" ]; then mv "$tmp/$f.orig" "$tmp/$f"; else rm -f "$tmp/$f"; fi
  done
  [ $rc -eq 0 ] && echo "layering self-test ok"
  return $rc
}

if [ "${1:-}" = "--self-test" ]; then
  self_test
  exit $?
fi
check_tree "${1:-.}" && echo "layering ok"
