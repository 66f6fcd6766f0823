#!/usr/bin/env bash
# Builds the `operator-sdk` used by `make bundle-validate` from the Go module in
# hack/operator-sdk/ into a cache keyed by version:
#   $VIPA_CACHE/operator-sdk/<version>/operator-sdk   (VIPA_CACHE: ~/.cache/vip-announcer)
# and prints the binary's path on stdout.
#
# The Go module proxy refuses github.com/operator-framework/operator-sdk and
# operator-registry (403 for every version), so the module builds a stand-in
# that offers `operator-sdk bundle validate DIR --select-optional SELECTOR` and
# runs the validators of github.com/operator-framework/api, the library
# operator-sdk's own `bundle validate` calls. The version key is that library's
# version (hack/operator-sdk/go.mod). Should the proxy serve operator-sdk, put
# `require github.com/operator-framework/operator-sdk vX.Y.Z` plus its replace
# directives in that go.mod and build its cmd/operator-sdk package here instead.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

MOD_DIR="$VIPA_ROOT/hack/operator-sdk"
API_VERSION="$(sed -n 's/^[[:space:]]*github.com\/operator-framework\/api \(v[^ ]*\).*$/\1/p' "$MOD_DIR/go.mod" | head -1)"
[[ -n "$API_VERSION" ]] || die "cannot read the operator-framework/api version from $MOD_DIR/go.mod"
# Key the cache by the library version and a digest of the module, so editing
# main.go or go.mod rebuilds.
DIGEST="$(cat "$MOD_DIR/go.mod" "$MOD_DIR/go.sum" "$MOD_DIR"/*.go | sha256sum | cut -c1-12)"
SDK_DIR="$VIPA_CACHE/operator-sdk/api-$API_VERSION-$DIGEST"
SDK_BIN="$SDK_DIR/operator-sdk"

if [[ -x "$SDK_BIN" ]]; then
  log "operator-sdk (bundle validate, operator-framework/api $API_VERSION) cached in $SDK_DIR"
  echo "$SDK_BIN"
  exit 0
fi
command -v go >/dev/null || die "go toolchain not found; install Go to build operator-sdk"

log "Building operator-sdk (bundle validate, operator-framework/api $API_VERSION) from hack/operator-sdk into $SDK_DIR"
log "  a cold build downloads the modules and compiles for a few minutes; later runs use the cache"
mkdir -p "$SDK_DIR"
t0=$SECONDS
(cd "$MOD_DIR" && with_heartbeat "building operator-sdk" \
  env CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" go build -tags containers_image_openpgp -trimpath \
    -ldflags "-s -w" -o "$SDK_BIN.tmp" .)
mv "$SDK_BIN.tmp" "$SDK_BIN"
log "  operator-sdk built in $((SECONDS - t0))s"
echo "$SDK_BIN"
