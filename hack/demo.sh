#!/usr/bin/env bash
# make demo: on a machine with no cluster, boot the lab with real nodes (a kubelet, containerd
# and kube-proxy per node, LAB_MODE=nodes), install vip-announcer from the images `make images`
# built, exactly as the README's install section says, create a small sample app, and show the
# Pods, the announcements and what the network (BIRD) received.
#   DEMO_EXIT=1 make demo   print the state and exit (used by a test)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPA_ROOT"

export LAB_MODE=nodes
LAB="${VIPA_LAB_DIR:-$VIPA_ROOT/.lab-nodes}"
cleanup() { "$VIPA_ROOT/hack/lab.sh" down; }
trap cleanup EXIT
trap 'exit 130' INT TERM
t0=$SECONDS

"$VIPA_ROOT/hack/lab.sh" up
# shellcheck disable=SC1091
source "$LAB/env"

log "demo: kubectl apply -k config/default (namespace, CRDs, RBAC, the controller Deployment)"
kubectl apply -k config/default >/dev/null
kubectl -n vip-announcer rollout status deployment/vip-announcer-controller --timeout=300s >/dev/null
log "demo: a VipAnnouncer peering every node with the lab's router $LAB_ROUTER_ADDRESS (AS $LAB_ROUTER_ASN)"
kubectl apply -f - >/dev/null <<EOF
apiVersion: vipannouncer.io/v1alpha1
kind: VipAnnouncer
metadata: {name: default}
spec:
  asn: $LAB_NODE_ASN
  routerIdPolicy: NodeInternalIP
  namespace: vip-announcer
  peers:
    - {address: $LAB_ROUTER_ADDRESS, asn: $LAB_ROUTER_ASN, holdTime: 9s, keepaliveInterval: 3s,
       gracefulRestart: {enabled: true, restartTime: 120s}}
EOF
for _ in $(seq 1 120); do kubectl -n vip-announcer get daemonset vip-announcer-speaker >/dev/null 2>&1 && break; sleep 0.5; done
kubectl -n vip-announcer rollout status daemonset/vip-announcer-speaker --timeout=300s >/dev/null

log "demo: creating the sample app: a VipPool, 'web' (Local policy), 'api' (Cluster) and 'auto' (address from the pool)"
kubectl apply -f hack/demo-app.yaml >/dev/null
kubectl -n demo wait pods --all --for=condition=Ready --timeout=300s >/dev/null

log "demo: waiting until every VIP is advertised"
for _ in $(seq 1 240); do
  [[ $(kubectl -n demo get vipannouncements -o name 2>/dev/null | wc -l) -ge 3 ]] && break
  sleep 0.5
done
kubectl -n demo wait vipannouncements --all --for=jsonpath='{.status.conditions[?(@.type=="Advertised")].status}'=True --timeout=120s >/dev/null
# ...and by every speaker expected: web from its two pods' nodes, api and auto from all three.
kubectl -n demo wait vipannouncement/web --for=jsonpath='{.status.advertisedBy}'=2 --timeout=60s >/dev/null
kubectl -n demo wait vipannouncement/api --for=jsonpath='{.status.advertisedBy}'=3 --timeout=60s >/dev/null
kubectl -n demo wait vipannouncement/auto --for=jsonpath='{.status.advertisedBy}'=3 --timeout=60s >/dev/null

echo
echo "\$ kubectl get pods -n vip-announcer -o wide"
kubectl get pods -n vip-announcer -o wide
echo
echo "\$ kubectl get pods -n demo -o wide"
kubectl get pods -n demo -o wide
echo
echo "\$ kubectl get vipspeakers"
kubectl get vipspeakers
echo
echo "\$ kubectl get vipannouncements -A -o wide"
kubectl get vipannouncements -A -o wide
echo
echo "\$ kubectl get vippools"
kubectl get vippools
echo
echo "\$ kubectl get svc -n demo"
kubectl get svc -n demo
echo
echo "\$ birdc show route   # the upstream router's table: one entry per announcing node"
birdc -s "$BIRD_SOCKET" show route | grep -v '^BIRD'
echo
log "demo: ready in $((SECONDS - t0))s"
if [[ -n "${DEMO_EXIT:-}" ]]; then exit 0; fi
log "demo: running. Try: source $LAB/env; kubectl -n demo delete pod web-1; kubectl -n vip-announcer rollout restart daemonset/vip-announcer-speaker"
log "demo: press Ctrl-C to stop everything and tear the lab down"
while true; do sleep 3600; done
