#!/usr/bin/env bash
# Boots the labs, runs every end-to-end test against them, and always tears them down again
# (also when a test fails or the run is interrupted). Two passes:
#   processes  the process-mode lab (operators as local processes, one gobgpd per node): every
#              suite in test-e2e/; then the speaker suite again with every node's gobgpd swapped
#              for GoBGP v3 and speaker.gobgp.api: auto
#   nodes      the real-nodes lab (LAB_MODE=nodes: kubelet, containerd, kube-proxy per node),
#              after `make images`: the suites in test-e2e/nodes/, the product installed as Pods
#   E2E_PASSES=nodes hack/e2e.sh                            one pass only
#   E2E_ONLY="dist/test-e2e/speaker.test.js" hack/e2e.sh   a subset of the processes pass (no v3 pass, no nodes pass)
#   E2E_NODES_ONLY="dist/test-e2e/nodes/images.test.js"    a subset of the nodes pass
#   E2E_SPEAKER_V3=false hack/e2e.sh                       skips the v3 pass
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPA_ROOT"
PASSES="${E2E_PASSES:-processes nodes}"
[[ -n ${E2E_ONLY:-} ]] && PASSES=processes
[[ -n ${E2E_NODES_ONLY:-} ]] && PASSES=nodes
trap '"$VIPA_ROOT/hack/lab.sh" down; LAB_MODE=nodes "$VIPA_ROOT/hack/lab.sh" down' EXIT
trap 'exit 130' INT TERM

processes_pass() {
  "$VIPA_ROOT/hack/lab.sh" down >/dev/null 2>&1 || true
  "$VIPA_ROOT/hack/lab.sh" up
  log "== end-to-end tests (gobgpd: ${LAB_GOBGP:-v4})"
  # shellcheck disable=SC2046,SC2086
  node --test --test-concurrency=1 --test-reporter=spec ${E2E_ONLY:-$(find dist/test-e2e -path dist/test-e2e/nodes -prune -o -name '*.test.js' -print | sort)}
  if [[ -z ${E2E_ONLY:-} && ${E2E_SPEAKER_V3:-true} == true && ${LAB_GOBGP:-v4} == v4 ]]; then
    local t0=$SECONDS
    log "== the speaker suite again, on GoBGP v3 (speaker.gobgp.api: auto)"
    "$VIPA_ROOT/hack/lab.sh" gobgp v3
    E2E_GOBGP_API=auto node --test --test-concurrency=1 --test-reporter=spec dist/test-e2e/speaker.test.js
    log "== speaker suite on GoBGP v3: $((SECONDS - t0))s"
  fi
  "$VIPA_ROOT/hack/lab.sh" down
}

nodes_pass() {
  local t0=$SECONDS tests demo=() rest=() t
  tests="${E2E_NODES_ONLY:-$(find dist/test-e2e/nodes -name '*.test.js' | sort)}"
  # `make demo` boots a real-nodes lab of its own; two such labs would share the fabric's
  # addresses, so the demo runs before the suites' lab is up.
  for t in $tests; do if [[ $t == */demo.test.js ]]; then demo+=("$t"); else rest+=("$t"); fi; done
  LAB_MODE=nodes "$VIPA_ROOT/hack/lab.sh" down >/dev/null 2>&1 || true
  if ((${#demo[@]} > 0)); then
    log "== make demo on real nodes"
    node --test --test-concurrency=1 --test-reporter=spec "${demo[@]}"
  fi
  if ((${#rest[@]} > 0)); then
    LAB_MODE=nodes "$VIPA_ROOT/hack/lab.sh" up
    log "== end-to-end tests on real nodes (the product as Pods, from .images/)"
    VIPA_LAB_DIR="$VIPA_ROOT/.lab-nodes" node --test --test-concurrency=1 --test-reporter=spec "${rest[@]}"
    LAB_MODE=nodes "$VIPA_ROOT/hack/lab.sh" down
  fi
  log "== real-nodes pass: $((SECONDS - t0))s"
}

for pass in $PASSES; do "${pass}_pass"; done
