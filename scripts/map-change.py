#!/usr/bin/env python3
"""How much a change moved MAP, and how sure that is: a paired bootstrap over
the queries of `s2s eval -v` outputs.

    scripts/map-change.py BEFORE AFTER [BEFORE AFTER ...] [--draws N] [--seed S]

Each BEFORE/AFTER pair is the per-query output (`query<TAB>AP=...`) of one
set scored before and after (say, retraining).  Pairs that name the same
BEFORE file are repeats of one set (training seeds): a query's AP after is
their mean, so the interval counts the queries drawn, not the seeds.  Pairs
with different BEFORE files pool their sets' queries.

Prints the queries, MAP before and after, the change, its 95% interval
(percentiles of N resamples of the queries with replacement, default
10000) and how many queries rose, fell or stayed.  Needs only python3."""
import random
import sys


def read_ap(path):
    """{query: AP} from an `s2s eval -v` output; exits naming the file when it holds none."""
    ap = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) > 1 and fields[1].startswith("AP="):
                ap[fields[0]] = float(fields[1][3:])
    if not ap:
        sys.exit(f"{path}: no per-query lines (query<TAB>AP=...; made by s2s eval -v)")
    return ap


def main(argv):
    draws, seed, files = 10000, 1, []
    it = iter(argv)
    for a in it:
        if a in ("--draws", "--seed"):
            value = int(next(it, "0"))
            if a == "--draws":
                draws = value
            else:
                seed = value
        else:
            files.append(a)
    if not files or len(files) % 2 or draws < 1:
        sys.exit(__doc__.strip().split("\n\n")[1])
    before, after = {}, {}  # (before file, query) -> AP; -> list of APs after
    for b_path, a_path in zip(files[::2], files[1::2]):
        b, a = read_ap(b_path), read_ap(a_path)
        if set(b) != set(a):
            sys.exit(f"{a_path}: not the queries of {b_path}")
        for q in b:
            before[(b_path, q)] = b[q]
            after.setdefault((b_path, q), []).append(a[q])
    keys = sorted(before)
    change = [sum(after[k]) / len(after[k]) - before[k] for k in keys]
    n = len(change)
    rng = random.Random(seed)
    means = sorted(sum(change[rng.randrange(n)] for _ in range(n)) / n for _ in range(draws))
    low, high = means[int(0.025 * draws)], means[min(draws - 1, int(0.975 * draws))]
    map_before = sum(before[k] for k in keys) / n
    print(f"queries {n}  MAP before {map_before:.3f}  after {map_before + sum(change) / n:.3f}  "
          f"change {sum(change) / n:+.4f}  95% interval [{low:+.4f}, {high:+.4f}]  "
          f"rose {sum(c > 0 for c in change)}  fell {sum(c < 0 for c in change)}  "
          f"same {sum(c == 0 for c in change)}")


if __name__ == "__main__":
    main(sys.argv[1:])
