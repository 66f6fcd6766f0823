#!/usr/bin/env bash
# Boots the lab once, runs every end-to-end test against it, and always tears
# it down again (also when a test fails or the run is interrupted).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPA_ROOT"

trap '"$VIPA_ROOT/hack/lab.sh" down' EXIT
trap 'exit 130' INT TERM
"$VIPA_ROOT/hack/lab.sh" down >/dev/null 2>&1 || true
"$VIPA_ROOT/hack/lab.sh" up
log "== end-to-end tests"
# shellcheck disable=SC2046
node --test --test-concurrency=1 --test-reporter=spec ${E2E_ONLY:-$(find dist/test-e2e -name '*.test.js' | sort)}
