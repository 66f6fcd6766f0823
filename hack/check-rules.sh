#!/usr/bin/env bash
# Checks the alerting rules of config/prometheus/rules.yaml with promtool. promtool comes from
# Debian's prometheus package, unpacked into the cache (never installed: its maintainer scripts
# would start a Prometheus server on this machine).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPA_ROOT"

promtool_bin() {
  if command -v promtool >/dev/null; then command -v promtool; return; fi
  local dir="$VIPA_CACHE/prometheus-deb"
  if [[ ! -x $dir/usr/bin/promtool ]]; then
    log "unpacking promtool from Debian's prometheus package into $dir"
    local tmp; tmp="$(mktemp -d)"
    ( cd "$tmp" && { apt-get download -qq prometheus 2>/dev/null || { apt-get update -qq && apt-get download -qq prometheus; }; } ) >&2
    mkdir -p "$dir"
    dpkg-deb -x "$tmp"/prometheus_*.deb "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir/usr/bin/promtool"
}

promtool="$(promtool_bin)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The PrometheusRule's spec is a rule file of its own.
node -e '
  const yaml = require("js-yaml"); const fs = require("fs");
  fs.writeFileSync(process.argv[2], yaml.dump(yaml.load(fs.readFileSync(process.argv[1], "utf8")).spec));
' config/prometheus/rules.yaml "$tmp/rules.yaml"
log "== promtool check rules config/prometheus/rules.yaml"
"$promtool" check rules "$tmp/rules.yaml"
