#!/usr/bin/env bash
# Installs everything the lab and the tests need, idempotently:
#   Debian packages (gobgpd, bird2, GoBGP's protos, openssl, curl) when missing,
#   node_modules from the lockfile when stale,
#   etcd, kube-apiserver, kube-controller-manager and kubectl built from Go modules,
#   gobgpd and the gobgp CLI of GoBGP v3 and v4 built from their Go modules.
# Usage: hack/deps.sh [all|debian|npm|bins]
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

debian() {
  local pkgs=(gobgpd bird2 golang-github-osrg-gobgp-dev openssl curl iproute2 procps)
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  log "Installing Debian packages: ${missing[*]}"
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo -n)
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    log "  package lists look stale; running apt-get update once"
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

npm_deps() {
  cd "$VIPA_ROOT"
  local stamp=node_modules/.vipa-lock-hash
  local want
  want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  log "npm ci (node_modules is missing or older than package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
}

bins() {
  "$VIPA_ROOT/hack/build-k8s.sh"
  "$VIPA_ROOT/hack/build-gobgp.sh" v3 v4
}

case "${1:-all}" in
  debian) debian ;;
  npm) npm_deps ;;
  bins) bins ;;
  all) debian; npm_deps; bins ;;
  *) die "usage: $0 [all|debian|npm|bins]" ;;
esac
