#!/usr/bin/env python3
"""Refit the ranking weights of src/search/mod.rs (BM25_WEIGHT, COVERAGE_WEIGHT,
DENSE_WEIGHT) on questions that are NOT a sealed half, and show what they would
change, file by file.

usage: scripts/fit-ranking.py FEATURES.jsonl [FEATURES.jsonl ...]
  FEATURES.jsonl: written by `rolefaq eval --features FILE QUESTIONS.json` (add
  --no-model before `eval` for the lexical mode; do not mix modes in one run).
  Never pass the features of a sealed (-test) half: the script refuses names with
  "-test" in them.

A candidate's score is (w_bm25 * bm25 + w_cov * coverage + w_dense * centred
dense similarity) * factor. The fit maximises, over the questions whose pool holds
a judged passage, the softmax probability of the judged candidates (a smooth
stand-in for S@1) with a small L2 penalty; the scale of the weights is free and is
printed normalised to the code's sum (1.5). S@1 figures here rank the pool by the
score alone (the engine also spreads results over documents), so they are close
to, not equal to, `rolefaq eval`'s: run eval with the new weights to confirm, on
the tuning halves and the regression sets, before the sealed halves.
"""
import json
import math
import sys

CURRENT = [0.45, 0.55, 0.5]  # BM25_WEIGHT, COVERAGE_WEIGHT, DENSE_WEIGHT
L2 = 1e-3
STEPS = 20000
RATE = 0.5
# stop once no weight moves by more than this in a step
TOLERANCE = 1e-6


def load(path):
    pools = []
    for line in open(path, encoding="utf-8"):
        row = json.loads(line)
        pool = row["pool"]
        if any(c["judged"] for c in pool):
            pools.append(pool)
    return pools


def features(c, lexical):
    x = [c["bm25"], c["coverage"]] + ([] if lexical else [c["dense_centred"]])
    return [v * c["factor"] for v in x]


def s_at_1(w, pools, lexical):
    right = 0
    for pool in pools:
        scores = [sum(a * b for a, b in zip(w, features(c, lexical))) for c in pool]
        best = max(range(len(pool)), key=lambda i: scores[i])
        right += pool[best]["judged"]
    return right


def fit(pools, lexical, start):
    w = list(start)
    for _ in range(STEPS):
        grad = [0.0] * len(w)
        for pool in pools:
            xs = [features(c, lexical) for c in pool]
            scores = [sum(a * b for a, b in zip(w, x)) for x in xs]
            top = max(scores)
            e = [math.exp(s - top) for s in scores]
            z = sum(e)
            g = sum(ei for ei, c in zip(e, pool) if c["judged"])
            for k in range(len(w)):
                all_mean = sum(ei * x[k] for ei, x in zip(e, xs)) / z
                judged_mean = sum(ei * x[k] for ei, x, c in zip(e, xs, pool) if c["judged"]) / g
                grad[k] -= judged_mean - all_mean
        step = [RATE * (b / len(pools) + 2 * L2 * a) for a, b in zip(w, grad)]
        w = [a - d for a, d in zip(w, step)]
        if max(abs(d) for d in step) < TOLERANCE:
            break
    return w


def main() -> None:
    files = sys.argv[1:]
    if not files:
        sys.exit(__doc__)
    if any("-test" in f for f in files):
        sys.exit("fit-ranking.py: refusing a sealed test half")
    by_file = {f: load(f) for f in files}
    pools = [p for ps in by_file.values() for p in ps]
    if not pools:
        sys.exit("fit-ranking.py: no question has a judged passage in its pool")
    lexical = all(c["dense_centred"] == 0.0 for p in pools for c in p)
    current = CURRENT[:2] if lexical else CURRENT
    # the recorded scores must be what the current weights give, or the code
    # and this script disagree (a changed formula, or a dense_weight != 1)
    worst = max(
        abs(sum(a * b for a, b in zip(current, features(c, lexical))) - c["score"])
        for p in pools
        for c in p
    )
    if worst > 1e-3:
        print(f"warning: recorded scores differ from CURRENT by up to {worst:.4f}")
    w = fit(pools, lexical, current)
    scale = sum(w) / sum(current)
    w = [x / scale for x in w]
    mode = "lexical" if lexical else "hybrid"
    print(f"{mode}: {len(pools)} questions with a judged passage in the pool")
    print("current weights", [round(x, 3) for x in current])
    print("fitted weights ", [round(x, 3) for x in w])
    for f, ps in by_file.items():
        print(f"  {f}: S@1 {s_at_1(current, ps, lexical)} -> {s_at_1(w, ps, lexical)} of {len(ps)}")


if __name__ == "__main__":
    main()
