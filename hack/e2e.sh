#!/usr/bin/env bash
# Boots the lab once, runs every end-to-end test against it, and always tears
# it down again (also when a test fails or the run is interrupted).
# The lab runs GoBGP v4 (LAB_GOBGP, default v4); afterwards the speaker suite runs
# once more with every node's gobgpd swapped for GoBGP v3 and speaker.gobgp.api: auto.
#   E2E_ONLY="dist/test-e2e/speaker.test.js" hack/e2e.sh   runs a subset (no second pass)
#   E2E_SPEAKER_V3=false hack/e2e.sh                       skips the second pass
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$VIPA_ROOT"
fresh_lab
log "== end-to-end tests (gobgpd: ${LAB_GOBGP:-v4})"
# shellcheck disable=SC2046,SC2086
node --test --test-concurrency=1 --test-reporter=spec ${E2E_ONLY:-$(find dist/test-e2e -name '*.test.js' | sort)}
if [[ -z ${E2E_ONLY:-} && ${E2E_SPEAKER_V3:-true} == true && ${LAB_GOBGP:-v4} == v4 ]]; then
  t0=$SECONDS
  log "== the speaker suite again, on GoBGP v3 (speaker.gobgp.api: auto)"
  "$VIPA_ROOT/hack/lab.sh" gobgp v3
  E2E_GOBGP_API=auto node --test --test-concurrency=1 --test-reporter=spec dist/test-e2e/speaker.test.js
  log "== speaker suite on GoBGP v3: $((SECONDS - t0))s"
fi
