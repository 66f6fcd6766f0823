#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kubectl from the pinned
# k8s.io/kubernetes module (hack/k8s/go.mod), and etcd from its server module
# (hack/etcd/go.mod), into a cache keyed by version; with `nodes`, also what the lab's
# real nodes run: kube-scheduler, kubelet and kube-proxy (hack/lab.sh, LAB_MODE=nodes).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

build_etcd() {
  [[ -x "$ETCD_BIN/etcd" ]] && return 0
  log "Building etcd v$ETCD_VERSION from its Go module into $ETCD_BIN"
  mkdir -p "$ETCD_BIN"
  local t0=$SECONDS
  (cd "$VIPA_ROOT/hack/etcd" && with_heartbeat "building etcd" \
    env CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$ETCD_BIN/etcd.tmp" .)
  mv "$ETCD_BIN/etcd.tmp" "$ETCD_BIN/etcd"
  log "  etcd built in $((SECONDS - t0))s"
}

cmds=(kube-apiserver kube-controller-manager kubectl)
[[ ${1:-} == nodes ]] && cmds+=(kube-scheduler kubelet kube-proxy)
missing=()
for c in "${cmds[@]}"; do [[ -x "$K8S_BIN/$c" ]] || missing+=("$c"); done
if [[ ${#missing[@]} -eq 0 ]]; then
  log "Kubernetes v$K8S_VERSION binaries cached in $K8S_BIN"
  build_etcd
  exit 0
fi
command -v go >/dev/null || die "go toolchain not found; install Go to build the lab's control plane"

minor="${K8S_VERSION#*.}"; minor="${minor%%.*}"
ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done

mkdir -p "$K8S_BIN.tmp"
log "Building Kubernetes v$K8S_VERSION (${missing[*]}) from Go modules into $K8S_BIN"
log "  a cold build downloads the modules and compiles for several minutes; later runs use the cache"
i=0
for c in "${missing[@]}"; do
  i=$((i + 1))
  log "  [$i/${#missing[@]}] go build $c"
  t0=$SECONDS
  (cd "$VIPA_ROOT/hack/k8s" && with_heartbeat "building $c" \
    env CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$K8S_BIN.tmp/$c" "k8s.io/kubernetes/cmd/$c")
  log "  [$i/${#missing[@]}] $c built in $((SECONDS - t0))s"
done
mkdir -p "$K8S_BIN"
for c in "${missing[@]}"; do mv "$K8S_BIN.tmp/$c" "$K8S_BIN/$c"; done
rmdir "$K8S_BIN.tmp" 2>/dev/null || true
build_etcd
"$K8S_BIN/kubectl" version --client 2>/dev/null | head -1 >&2 || true
