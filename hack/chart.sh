#!/usr/bin/env bash
# Produces the Helm chart dist/chart/vip-announcer/ from config/ (rendered with `kubectl
# kustomize`: config/default and config/prometheus) and package.json, through hack/chart.mjs,
# so the manifests are kept once. No network; the same sources give the same bytes.
#   hack/chart.sh [OUT_DIR]     write the chart (default: dist/chart/vip-announcer)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

OUT="${1:-$VIPA_ROOT/dist/chart/vip-announcer}"
KUBECTL="$(find_kubectl)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$KUBECTL" kustomize "$VIPA_ROOT/config/default" > "$tmp/default.yaml" || die "kubectl kustomize config/default failed"
"$KUBECTL" kustomize "$VIPA_ROOT/config/prometheus" > "$tmp/prometheus.yaml" || die "kubectl kustomize config/prometheus failed"
node "$VIPA_ROOT/hack/chart.mjs" "$VIPA_ROOT" "$tmp/default.yaml" "$tmp/prometheus.yaml" "$OUT"
echo "$OUT"
