#!/usr/bin/env bash
# Longer fuzzing run of question handling and corpus parsing (proptest).
# Usage: scripts/fuzz.sh [CASES]   (default 20000 cases per property)
set -euo pipefail
cd "$(dirname "$0")/.."
export PROPTEST_CASES="${1:-20000}"
export ROLEFAQ_TEST_MODE=1
cargo test --release --test suite fuzz:: -- --test-threads 2
