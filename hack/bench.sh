#!/usr/bin/env bash
# make bench: the allocator's and a speaker's own time per change (no lab); then, each on a fresh lab, the figures of
# hack/bench.ts with requested addresses and with addresses allocated from a VipPool.
# BENCH_POOLS=0 or 1 runs only that variant (the big shapes take long enough once).
# Last, on the real-nodes lab (LAB_MODE=nodes), hack/benchPods.ts: speaker Pod start → all
# routes of BENCH_SERVICES Services (BENCH_PODS=0 skips it, BENCH_PODS=only runs it alone).
# Shapes: BENCH_SERVICES=10000, LAB_NODE_COUNT=20 (the lab boots that many nodes).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPA_ROOT"
pods="${BENCH_PODS:-1}"
if [[ $pods != only ]]; then
  node dist/hack/bench-allocator.js
  # One Service change in the real speaker over fakes: its own CPU, without gobgpd or a lab.
  node dist/hack/benchSpeakerSync.js "${BENCH_SERVICES:-1000}" 50
  variants="${BENCH_POOLS:-0 1}"
  unset BENCH_POOLS
  for pools in $variants; do
    fresh_lab
    BENCH_POOLS="$pools" node dist/hack/bench.js
  done
  "$VIPA_ROOT/hack/lab.sh" down
fi
if [[ $pods != 0 ]]; then
  trap 'LAB_MODE=nodes "$VIPA_ROOT/hack/lab.sh" down' EXIT
  LAB_MODE=nodes "$VIPA_ROOT/hack/lab.sh" down >/dev/null 2>&1 || true
  LAB_MODE=nodes "$VIPA_ROOT/hack/lab.sh" up
  VIPA_LAB_DIR="$VIPA_ROOT/.lab-nodes" node dist/hack/benchPods.js
fi
