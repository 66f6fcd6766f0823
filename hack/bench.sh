#!/usr/bin/env bash
# make bench: boots the lab, prints the figures of hack/bench.ts, tears the lab down.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPA_ROOT"
fresh_lab
node dist/hack/bench.js
