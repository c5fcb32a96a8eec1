#!/usr/bin/env python3
"""Fit the answer/no-answer decision (src/search/decide.rs) on TUNING halves only.

usage: scripts/calibrate.py hybrid|lexical EVAL.json [EVAL.json ...]
  EVAL.json: output of `rolefaq eval --json tests/data/bank/*-tune.json` (with or
  without --no-model to match the mode). Never pass a sealed (-test) half.

Fits a logistic regression (label: the question is answerable) over the decision's
signals by gradient descent with a small L2 penalty, weighting answerable questions
so that wrongly refusing one costs COST times a wrong answer to an unanswerable one
(the product's bar: answerable questions are almost never refused). Prints the
weights in the order decide.rs reads them and the tuning figures they give.
"""
import json
import math
import sys

COST = float(__import__("os").environ.get("COST", "3.0"))


def features(d, mode):
    f = [1.0, d["coverage"], d["dense"], d["dense_centred"], d["known"], min(d["unknown_words"], 3)]
    return f if mode == "hybrid" else [f[0], f[1], f[4], f[5]]


def main() -> None:
    mode, files = sys.argv[1], sys.argv[2:]
    if any("-test" in f for f in files):
        sys.exit("calibrate.py: refusing a sealed test half")
    rows = []
    for f in files:
        for r in json.load(open(f))["results"]:
            d = r.get("decision")
            if d is None:
                continue
            rows.append((features(d, mode), 1.0 if r["answerable"] else 0.0))
    n = len(rows[0][0])
    w = [0.0] * n
    lr, l2 = 0.5, 1e-3
    for _ in range(20000):
        g = [0.0] * n
        for x, y in rows:
            z = sum(a * b for a, b in zip(w, x))
            p = 1 / (1 + math.exp(-max(-30, min(30, z))))
            c = COST if y == 1 else 1.0
            for i in range(n):
                g[i] += c * (p - y) * x[i]
        for i in range(n):
            w[i] -= lr * (g[i] / len(rows) + (l2 * w[i] if i else 0))
    ans = [(x, y) for x, y in rows if y == 1]
    una = [(x, y) for x, y in rows if y == 0]
    score = lambda x: sum(a * b for a, b in zip(w, x))
    print("weights:", ", ".join(f"{v:.2f}" for v in w))
    print(f"answerable refused: {sum(score(x) < 0 for x, _ in ans)}/{len(ans)}")
    print(f"unanswerable refused: {sum(score(x) < 0 for x, _ in una)}/{len(una)}")


if __name__ == "__main__":
    main()
