#!/usr/bin/env bash
# Performance benchmark: builds the release binary with the SQLite FTS5 peer,
# runs `rolefaq bench` on the seed corpus and on two Debian-description corpora
# (~10k and ~100k+ passages; made with scripts/make-bench-corpus.sh when
# missing), writes bench-results/*.json (git-ignored) and prints a Markdown table.
#
#   scripts/bench.sh [seed|small|large|large-hybrid]...   (default: seed small large;
#   large-hybrid embeds ~100k passages with the model: 30-50 minutes on 2 cores)
#
# Environment: BENCH_SECONDS (per queries/s run, default 3),
# BENCH_SMALL_DOCS (default 5000), BENCH_LARGE_DOCS (default: all packages).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/release/rolefaq"
SECONDS_PER_RUN="${BENCH_SECONDS:-3}"
SMALL_DOCS="${BENCH_SMALL_DOCS:-5000}"
LARGE_DOCS="${BENCH_LARGE_DOCS:-}"
RUNS=("$@")
[ ${#RUNS[@]} -eq 0 ] && RUNS=(seed small large)

cargo build --release --features peer --quiet
mkdir -p bench-results bench-data
export ROLEFAQ_BIN="$BIN"
export ROLEFAQ_LOG="${ROLEFAQ_LOG:-error}"   # the Debian corpus skips ~15k files with a warning each
# Lexical runs use --no-model; the seed corpus also runs hybrid when the model
# is present (scripts/fetch-model.sh). The user's index is never used: bench
# builds a private one in a temp dir.
common=(--config config.toml)

run() { # name corpus_dir [bench args...]
  local name="$1" dir="$2"; shift 2
  echo "== $name: $dir" >&2
  "$BIN" "${common[@]}" $MODEL_FLAG --corpus "$dir" bench --seconds "$SECONDS_PER_RUN" --json "$@" \
    >"bench-results/$name.json"
}

if [[ " ${RUNS[*]} " == *" seed "* ]]; then rm -f bench-results/seed-hybrid.json; fi
for r in "${RUNS[@]}"; do
  case "$r" in
    seed)
      MODEL_FLAG=--no-model run seed corpus --queries tests/data/dev-questions.json
      if [ -f models/all-MiniLM-L6-v2/model.safetensors ]; then
        MODEL_FLAG= run seed-hybrid corpus --queries tests/data/dev-questions.json --no-peer
      fi ;;
    small)
      [ -d bench-data/debian-small ] || scripts/make-bench-corpus.sh bench-data/debian-small "$SMALL_DOCS"
      MODEL_FLAG=--no-model run debian-small bench-data/debian-small ;;
    large)
      [ -d bench-data/debian ] || scripts/make-bench-corpus.sh bench-data/debian $LARGE_DOCS
      MODEL_FLAG=--no-model run debian-large bench-data/debian ;;
    large-hybrid)  # not in the default set: embedding ~100k passages takes 30-50 minutes here
      [ -d bench-data/debian ] || scripts/make-bench-corpus.sh bench-data/debian $LARGE_DOCS
      MODEL_FLAG= run debian-large-hybrid bench-data/debian --no-peer ;;
    *) echo "unknown run '$r' (seed, small, large, large-hybrid)" >&2; exit 2 ;;
  esac
done

python3 - "${RUNS[@]}" <<'PY'
import json, sys
import os
names = {"seed": ["seed", "seed-hybrid"], "small": ["debian-small"], "large": ["debian-large"],
         "large-hybrid": ["debian-large-hybrid"]}
rows = []
for r in sys.argv[1:]:
    for n in names[r]:
        if os.path.exists(f"bench-results/{n}.json"):
            with open(f"bench-results/{n}.json") as f:
                rows.append((n, json.load(f)))
ms = lambda us: f"{us/1000:.2f}"
print("| corpus | passages | build s | MB/s | passages/s | index MB | start-up ms | mode | p50 ms | p99 ms | new-question p50 / p99 ms | q/s 1T | q/s 2T | RSS serve MB | FTS5 build s | FTS5 p50 ms | FTS5 p99 ms | FTS5 q/s 1T | FTS5 q/s 2T | ours/FTS5 q/s 1T |")
print("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, j in rows:
    qps = {t["threads"]: t["qps"] for t in j["throughput"]}
    p = j.get("peer") or {}
    pq = {t["threads"]: t["qps"] for t in p.get("throughput", [])}
    ratio = dict((t, x) for t, x in j.get("qps_ratio", []))
    cells = [name, j["corpus"]["passages"], f'{j["build"]["build_ms"]/1000:.2f}', f'{j["build"]["mb_per_s"]:.2f}',
             f'{j["build"]["passages_per_s"]:.0f}', f'{j["build"]["index_bytes"]/1e6:.1f}', f'{j["startup"]["total_ms"]:.0f}',
             j["mode"], ms(j["latency"]["p50_us"]), ms(j["latency"]["p99_us"]),
             (lambda n: f'{ms(n["p50_us"])} / {ms(n["p99_us"])}' if n else "–")(j.get("latency_new_question")),
             f'{qps.get(1,0):.0f}', f'{qps.get(2,0):.0f}',
             f'{j["memory"]["serving_peak_mb"]:.0f}',
             f'{p["build_ms"]/1000:.2f}' if p else "–", ms(p["latency"]["p50_us"]) if p else "–",
             ms(p["latency"]["p99_us"]) if p else "–", f'{pq.get(1,0):.0f}' if p else "–", f'{pq.get(2,0):.0f}' if p else "–",
             f'{ratio[1]:.2f}×' if 1 in ratio else "–"]
    print("| " + " | ".join(str(c) for c in cells) + " |")
PY
