#!/usr/bin/env bash
# make bench: the allocator's own time (no lab); then, each on a fresh lab, the figures of
# hack/bench.ts with requested addresses and with addresses allocated from a VipPool.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPA_ROOT"
node dist/hack/bench-allocator.js
fresh_lab
node dist/hack/bench.js
fresh_lab
BENCH_POOLS=1 node dist/hack/bench.js
