#!/usr/bin/env bash
# Boots the lab once, runs every end-to-end test against it, and always tears
# it down again (also when a test fails or the run is interrupted).
#   E2E_ONLY="dist/test-e2e/speaker.test.js" hack/e2e.sh   runs a subset
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPA_ROOT"
fresh_lab
log "== end-to-end tests"
# shellcheck disable=SC2046,SC2086
node --test --test-concurrency=1 --test-reporter=spec ${E2E_ONLY:-$(find dist/test-e2e -name '*.test.js' | sort)}
