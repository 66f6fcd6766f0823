#!/usr/bin/env bash
# make bench: the allocator's own time (no lab), then boots the lab and prints the figures of
# hack/bench.ts, and tears the lab down.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPA_ROOT"
node dist/hack/bench-allocator.js
fresh_lab
node dist/hack/bench.js
