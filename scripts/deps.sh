#!/usr/bin/env bash
# Install the Debian packages tars needs, only those that are missing.
# Usage: scripts/deps.sh [build|bench|all]   (default: build = build + tests + demo)
# Idempotent and quiet when there is nothing to do.
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config git ca-certificates
  libh2o-evloop-dev libwslay-dev libssl-dev zlib1g-dev
  libjwt-dev libjansson-dev libsqlite3-dev libpq-dev
  libcurl4-openssl-dev libyaml-dev libhttp-parser-dev libarchive-dev
  libcmark-gfm-dev libcmark-gfm-extensions-dev
  libcmocka-dev
  postgresql prometheus openssl curl procps python3 python3-yaml
  chromium
  # real consumers and tools the tests run: TAP (prove is perl's), JUnit, JSON Schema,
  # Locust, fuzzing (clang + libFuzzer), loaded-machine tests, linters, SSH signatures;
  # tappy reads TAP's YAML blocks only with python3-more-itertools
  python3-tap python3-more-itertools python3-junitparser libxml2-utils python3-jsonschema
  python3-locust
  python3-websockets clang-14 libfuzzer-14-dev libclang-rt-14-dev stress-ng
  shellcheck yamllint openssh-client unzip clang-format-14
  # shells whose completion scripts tars generates; the tests load them in each shell
  zsh fish
)
bench_pkgs=(wrk nginx-light)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  bench) want+=("${bench_pkgs[@]}") ;;
  all) want+=("${bench_pkgs[@]}") ;;
  *) echo "usage: scripts/deps.sh [build|bench|all]" >&2; exit 3 ;;
esac

missing=()
for p in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
