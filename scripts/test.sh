#!/usr/bin/env bash
# The whole test suite: fetch the embedding model when missing, then cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x scripts/fetch-model.sh ]; then
  scripts/fetch-model.sh
fi
export ROLEFAQ_TEST_MODE=1
cargo test --all-targets "$@"
