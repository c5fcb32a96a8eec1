#!/usr/bin/env bash
# Longer fuzzing run of question handling, corpus parsing and whole engines (proptest).
# Usage: scripts/fuzz.sh [CASES] [ENGINE_CASES]
#   CASES         cases per property for questions and parsing (default 20000)
#   ENGINE_CASES  cases of the property that builds whole services from fuzzed
#                 documents; each builds an index three times (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
export ROLEFAQ_TEST_MODE=1
PROPTEST_CASES="${1:-20000}" cargo test --release --test suite fuzz:: -- --test-threads 2 \
  --skip fuzz::whole_engines
PROPTEST_CASES="${2:-200}" cargo test --release --test suite fuzz::whole_engines -- --test-threads 2
