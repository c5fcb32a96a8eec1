#!/usr/bin/env python3
"""Split a written question bank once, at random, into a tuning half and a sealed test half.

Stratified by kind (terse, context, slang, typo, buried, compare, decision, unanswerable) so
both halves hold every voice. Run once when a bank is added; the halves are committed and
never re-drawn (re-drawing after looking at results would leak the test half into tuning).

usage: scripts/split-bank.py SEED OUT_PREFIX BANK.json [BANK.json ...]
writes OUT_PREFIX-tune.json and OUT_PREFIX-test.json
"""
import json
import random
import sys


def main() -> None:
    seed, prefix, banks = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    questions = [q for b in banks for q in json.load(open(b, encoding="utf-8"))]
    rng = random.Random(seed)
    by_kind: dict[str, list] = {}
    for q in questions:
        by_kind.setdefault(q.get("kind", "?"), []).append(q)
    tune, test = [], []
    for kind in sorted(by_kind):
        group = by_kind[kind]
        rng.shuffle(group)
        half = len(group) // 2
        # odd groups: the extra question goes to the sealed half
        tune += group[:half]
        test += group[half:]
    for name, part in (("tune", tune), ("test", test)):
        part.sort(key=lambda q: q["id"])
        with open(f"{prefix}-{name}.json", "w", encoding="utf-8") as f:
            f.write("[\n" + ",\n".join(json.dumps(q, ensure_ascii=False) for q in part) + "\n]\n")
        print(f"{prefix}-{name}.json: {len(part)} questions")


if __name__ == "__main__":
    main()
