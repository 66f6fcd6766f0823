#!/usr/bin/env bash
# make bench: boots the lab, prints the figures of hack/bench.ts, tears the lab down.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPA_ROOT"
trap '"$VIPA_ROOT/hack/lab.sh" down' EXIT
trap 'exit 130' INT TERM
"$VIPA_ROOT/hack/lab.sh" down >/dev/null 2>&1 || true
"$VIPA_ROOT/hack/lab.sh" up
node dist/hack/bench.js
