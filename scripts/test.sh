#!/usr/bin/env bash
# The whole test suite: fetch the embedding model when missing, then cargo test.
# Ends with one summary line over every test binary: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x scripts/fetch-model.sh ]; then
  scripts/fetch-model.sh
fi
export ROLEFAQ_TEST_MODE=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --all-targets --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     END { printf "\nsummary: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
