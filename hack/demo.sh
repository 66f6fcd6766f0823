#!/usr/bin/env bash
# make demo: on a machine with no cluster, boot the lab and run vip-announcer
# against it (controller + one speaker per simulated node, as local processes),
# create a small sample app, and show what the network received.
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

"$VIPA_ROOT/hack/lab.sh" up
# shellcheck disable=SC1091
source "$LAB/env"

log "demo: installing the CRDs"
kubectl apply -f crds/ >/dev/null
kubectl wait --for=condition=Established --timeout=60s crd --all >/dev/null

log "demo: starting the controller and one speaker per node"
node hack/demo-config.js "$LAB"
node dist/operator/main.js controller --kubeconfig "$KUBECONFIG" --config "$LAB/demo/controller.yaml" \
  >"$LAB/logs/demo-controller.log" 2>&1 &
pids+=($!)
for n in $LAB_NODES; do
  node dist/operator/main.js speaker --kubeconfig "$KUBECONFIG" --config "$LAB/demo/speaker-$n.yaml" \
    >"$LAB/logs/demo-speaker-$n.log" 2>&1 &
  pids+=($!)
done

log "demo: creating the sample app (a Local and a Cluster Service with Ready pods)"
node dist/hack/demo-app.js

log "demo: waiting until every VIP is advertised"
kubectl wait vipannouncements --all -n demo --for=jsonpath='{.status.conditions[?(@.type=="Advertised")].status}'=True --timeout=120s >/dev/null

echo
echo "\$ kubectl get vipannouncements -A"
kubectl get vipannouncements -A
echo
echo "\$ kubectl get svc -n demo"
kubectl get svc -n demo
echo
echo "\$ birdc show route   (the upstream router's table)"
birdc -s "$BIRD_SOCKET" show route
echo
if [[ -n "${DEMO_EXIT:-}" ]]; then exit 0; fi
log "demo: running; logs in $LAB/logs. Press Ctrl-C to stop and tear the lab down."
wait "${pids[0]}"
