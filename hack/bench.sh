#!/usr/bin/env bash
# make bench: the allocator's own time (no lab); then, each on a fresh lab, the figures of
# hack/bench.ts with requested addresses and with addresses allocated from a VipPool.
# BENCH_POOLS=0 or 1 runs only that variant (the big shapes take long enough once).
# Shapes: BENCH_SERVICES=10000, LAB_NODE_COUNT=20 (the lab boots that many nodes).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPA_ROOT"
node dist/hack/bench-allocator.js
variants="${BENCH_POOLS:-0 1}"
unset BENCH_POOLS
for pools in $variants; do
  fresh_lab
  BENCH_POOLS="$pools" node dist/hack/bench.js
done
