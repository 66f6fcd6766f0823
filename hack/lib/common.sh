# Shared helpers for hack/ scripts. Sourced, not run.
# shellcheck shell=bash
VIPA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VIPA_CACHE="${VIPA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vip-announcer}"
K8S_VERSION="$(sed -n 's/^require k8s.io\/kubernetes v\(.*\)$/\1/p' "$VIPA_ROOT/hack/k8s/go.mod")"
K8S_BIN="$VIPA_CACHE/k8s/v$K8S_VERSION"
ETCD_VERSION="$(sed -n 's/^require go.etcd.io\/etcd\/server\/v3 v\(.*\)$/\1/p' "$VIPA_ROOT/hack/etcd/go.mod")"
ETCD_BIN="$VIPA_CACHE/etcd/v$ETCD_VERSION"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Runs a long command while printing a heartbeat, so a first run never looks hung.
with_heartbeat() {
  local what="$1"; shift
  local start=$SECONDS
  ( while sleep 30; do log "  … still $what ($((SECONDS - start))s)"; done ) &
  local hb=$!
  local rc=0
  "$@" || rc=$?
  kill "$hb" 2>/dev/null || true
  wait "$hb" 2>/dev/null || true
  return $rc
}

# kubectl for rendering kustomizations: $KUBECTL, else the lab's, else the one on PATH.
find_kubectl() {
  local k="${KUBECTL:-$K8S_BIN/kubectl}"
  [[ -x $k ]] || k="$(command -v kubectl || true)"
  [[ -n $k ]] || die "kubectl not found (run hack/build-k8s.sh, or set KUBECTL)"
  echo "$k"
}

# Boots a fresh lab for the calling script and tears it down when the script
# exits, also on failure or Ctrl-C.
fresh_lab() {
  trap '"$VIPA_ROOT/hack/lab.sh" down' EXIT
  trap 'exit 130' INT TERM
  "$VIPA_ROOT/hack/lab.sh" down >/dev/null 2>&1 || true
  "$VIPA_ROOT/hack/lab.sh" up
}

# GoBGP for the lab: hack/gobgp-vN/go.mod pins github.com/osrg/gobgp/vN (N = 3 or 4);
# hack/build-gobgp.sh builds its gobgpd and gobgp CLI into $VIPA_CACHE/gobgp/vX.Y.Z/.
# "debian" is Debian's gobgpd package (3.10), in /usr/bin.
gobgp_version() { sed -n "s/^require github.com\/osrg\/gobgp\/v$1 v\(.*\)$/\1/p" "$VIPA_ROOT/hack/gobgp-v$1/go.mod"; }
gobgp_bin_dir() {
  case "$1" in
    debian) echo /usr/bin ;;
    v3|v4) echo "$VIPA_CACHE/gobgp/v$(gobgp_version "${1#v}")" ;;
    *) die "unknown GoBGP flavour '$1' (want v3, v4 or debian)" ;;
  esac
}
