#!/usr/bin/env bash
# Produces the OLM bundle: bundle/manifests/ (the ClusterServiceVersion and the
# CRDs), bundle/metadata/annotations.yaml and bundle.Dockerfile, from crds/,
# config/manifests/ (CSV base, icon), config/samples/ (alm-examples),
# config/manager/ (the Deployment) and config/rbac/ (the permissions), rendered
# with `kubectl kustomize`. No network; the same sources give the same bytes.
#   hack/bundle.sh              write the bundle
#   hack/bundle.sh --validate   write it, then run `operator-sdk bundle validate`
#                               with the operatorframework suite (hack/build-operator-sdk.sh)
# VIPA_CONFIG_DIR overrides config/ (tests use it for stand-ins).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

CONFIG_DIR="${VIPA_CONFIG_DIR:-$VIPA_ROOT/config}"
KUBECTL="$(find_kubectl)"
for d in rbac manager manifests samples; do
  [[ -d "$CONFIG_DIR/$d" ]] || die "$CONFIG_DIR/$d is missing"
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$KUBECTL" kustomize "$CONFIG_DIR/rbac" > "$tmp/rbac.yaml" || die "kubectl kustomize $CONFIG_DIR/rbac failed"
"$KUBECTL" kustomize "$CONFIG_DIR/manager" > "$tmp/manager.yaml" || die "kubectl kustomize $CONFIG_DIR/manager failed"
node "$VIPA_ROOT/hack/bundle.mjs" "$VIPA_ROOT" "$CONFIG_DIR" "$tmp/rbac.yaml" "$tmp/manager.yaml" >&2

if [[ "${1:-}" == "--validate" ]]; then
  sdk="$("$VIPA_ROOT/hack/build-operator-sdk.sh")"
  log "operator-sdk bundle validate ./bundle --select-optional suite=operatorframework"
  out="$(cd "$VIPA_ROOT" && "$sdk" bundle validate ./bundle --select-optional suite=operatorframework 2>&1)" || {
    printf '%s\n' "$out" >&2; die "bundle validation failed"; }
  printf '%s\n' "$out" >&2
  if grep -qE '^(WARN|ERRO)' <<<"$out"; then die "bundle validation reported warnings"; fi
fi
