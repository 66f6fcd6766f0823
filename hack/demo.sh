#!/usr/bin/env bash
# make demo: on a machine with no cluster, boot the lab and run vip-announcer
# against it (the controller and one speaker per simulated node, as local
# processes), create a small sample app, and show what the network received.
#   DEMO_EXIT=1 make demo   print the state and exit (used by a test)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPA_ROOT"

LAB="${VIPA_LAB_DIR:-$VIPA_ROOT/.lab}"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$VIPA_ROOT/hack/lab.sh" down
}
trap cleanup EXIT
trap 'exit 130' INT TERM
t0=$SECONDS

"$VIPA_ROOT/hack/lab.sh" up
# shellcheck disable=SC1091
source "$LAB/env"

log "demo: installing the CRD"
kubectl apply -f crds/ >/dev/null
kubectl wait --for=condition=Established --timeout=60s crd/vipannouncements.vipannouncer.io crd/vippools.vipannouncer.io >/dev/null

mkdir -p "$LAB/demo"
cat >"$LAB/demo/controller.yaml" <<EOF
controller:
  loadBalancerClasses: [""]
  leaderElection: {enabled: true, leaseNamespace: kube-system}
metrics: {bindAddress: 127.0.0.1:29300}
health: {bindAddress: 127.0.0.1:29400}
EOF
i=0
for n in $LAB_NODES; do
  i=$((i + 1))
  addr_var="LAB_NODE_${i}_ADDRESS"; grpc_var="LAB_NODE_${i}_GOBGP"
  addr="${!addr_var}"
  cat >"$LAB/demo/speaker-$n.yaml" <<EOF
speaker:
  nodeName: $n
  asn: $LAB_NODE_ASN
  routerId: $addr
  listenPort: $LAB_BGP_PORT
  listenAddresses: [$addr]
  gobgp: {target: ${!grpc_var}}
  nextHop: {ipv6: "fd00:0:0:ff::${addr##*.}"}
  peers:
    - {address: $LAB_ROUTER_ADDRESS, asn: $LAB_ROUTER_ASN, port: $LAB_BGP_PORT, localAddress: $addr,
       holdTime: 9s, connectRetry: 1s, families: [ipv4-unicast, ipv6-unicast]}
metrics: {bindAddress: 127.0.0.1:$((29300 + i))}
health: {bindAddress: 127.0.0.1:$((29400 + i))}
EOF
done

log "demo: starting the controller and one speaker per node (logs in $LAB/logs/demo-*.log)"
node dist/operator/main.js controller --kubeconfig "$KUBECONFIG" --config "$LAB/demo/controller.yaml" \
  >"$LAB/logs/demo-controller.log" 2>&1 &
pids+=($!)
for n in $LAB_NODES; do
  node dist/operator/main.js speaker --kubeconfig "$KUBECONFIG" --config "$LAB/demo/speaker-$n.yaml" \
    >"$LAB/logs/demo-speaker-$n.log" 2>&1 &
  pids+=($!)
done

log "demo: creating the sample app: a VipPool, 'web' (Local policy), 'api' (Cluster, dual-stack) and 'auto' (address from the pool)"
i=0
for n in $LAB_NODES; do
  i=$((i + 1))
  addr_var="LAB_NODE_${i}_ADDRESS"
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata: {name: $n, labels: {kubernetes.io/hostname: $n}}
EOF
  kubectl patch node "$n" --subresource=status --type=merge \
    -p "{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"${!addr_var}\"}]}}" >/dev/null
done
kubectl apply -f hack/demo-app.yaml >/dev/null
ready_pod() { # name ip
  kubectl -n demo patch pod "$1" --subresource=status --type=merge -p \
    "{\"status\":{\"phase\":\"Running\",\"podIP\":\"$2\",\"podIPs\":[{\"ip\":\"$2\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},{\"type\":\"ContainersReady\",\"status\":\"True\"}]}}" >/dev/null
}
ready_pod web-1 10.244.1.10
ready_pod web-2 10.244.2.10
ready_pod api-1 10.244.1.20
ready_pod auto-1 10.244.3.30

log "demo: waiting until every VIP is advertised"
for _ in $(seq 1 240); do
  [[ $(kubectl -n demo get vipannouncements -o name 2>/dev/null | wc -l) -ge 3 ]] && break
  sleep 0.5
done
kubectl -n demo wait vipannouncements --all --for=jsonpath='{.status.conditions[?(@.type=="Advertised")].status}'=True --timeout=120s >/dev/null
# ...and by every speaker expected: web from its two pods' nodes, api from all three.
kubectl -n demo wait vipannouncement/web --for=jsonpath='{.status.advertisedBy}'=2 --timeout=60s >/dev/null
kubectl -n demo wait vipannouncement/api --for=jsonpath='{.status.advertisedBy}'=3 --timeout=60s >/dev/null
kubectl -n demo wait vipannouncement/auto --for=jsonpath='{.status.advertisedBy}'=3 --timeout=60s >/dev/null

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
log "demo: running. Try: source $LAB/env; kubectl -n demo delete pod web-1 --grace-period=0 --force"
log "demo: press Ctrl-C to stop everything and tear the lab down"
wait "${pids[0]}"
