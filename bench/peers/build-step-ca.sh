#!/usr/bin/env bash
# Builds step-ca for `npm run bench` (issue 11) from Debian's Go sources, and prints the binary's path.
#   bash bench/peers/build-step-ca.sh
# Debian's golang-github-smallstep-certificates-dev has step-ca's packages but no cmd/step-ca;
# bench/peers/step-ca-main/main.go (ours) runs the package's own start command. GOPATH mode
# (GO111MODULE=off) over /usr/share/gocode, so nothing is downloaded but Debian packages.
# Idempotent: rebuilds only when main.go or the Debian package changed. Not part of CI (.ci/run).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_dir="${TRUSTPLANE_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/trustplane-bench}"
binary="$out_dir/step-ca"

# golang-go: the compiler (Debian 12: Go 1.19). The -dev package pulls in, through its Depends,
# the golang-*-dev sources it imports (badger, nosql, go-jose, urfave/cli, chi, …).
packages=(golang-go golang-github-smallstep-certificates-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo -n); fi
  echo "installing ${missing[*]} …" >&2
  "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi

version="$(dpkg-query -W -f='${Version}' golang-github-smallstep-certificates-dev)"
stamp="$version $(sha256sum "$here/step-ca-main/main.go" | cut -c1-16)"
if [ -x "$binary" ] && [ "$(cat "$binary.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$binary"
  exit 0
fi

mkdir -p "$out_dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Our main as a GOPATH package of its own; Debian's sources are the second GOPATH entry's src.
mkdir -p "$work/src/trustplane.bench/step-ca"
cp "$here/step-ca-main/main.go" "$work/src/trustplane.bench/step-ca/"
echo "building step-ca $version (go $(go env GOVERSION)) …" >&2
(
  cd "$work/src/trustplane.bench/step-ca"
  GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOCACHE="$out_dir/go-build" \
    go build -trimpath -ldflags "-X main.version=$version" -o "$binary.tmp" .
)
mv "$binary.tmp" "$binary"
echo "$stamp" >"$binary.stamp"
echo "$binary"
