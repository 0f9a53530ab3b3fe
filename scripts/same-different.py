#!/usr/bin/python3
"""Same-different average precision of word vectors (Kamper et al.'s measure).

    s2s embed --model M --segments WORDS.tsv > vectors.jsonl
    scripts/same-different.py WORDS.tsv vectors.jsonl [--speakers]

WORDS.tsv: file<TAB>start<TAB>end<TAB>word (the segments embedded, same order).
Every pair of segments is scored by cosine similarity; a pair is positive when
the words match.  Prints the AP over all pairs (and, with --speakers, over the
pairs whose two segments come from different speakers: speaker = file name
after its first '_').  --mfcc4 adds the naive baseline: each segment's
normalised frames averaged in 4 equal parts and concatenated (needs the
segments' frames; computed with `s2s features --no-norm` per file)."""
import json, sys
import numpy as np


def average_precision(scores, labels):
    order = np.argsort(-scores, kind="stable")
    labels = labels[order]
    hits = np.cumsum(labels)
    num_pos = hits[-1] if len(hits) else 0
    if num_pos == 0:
        return float("nan")
    precision = hits / np.arange(1, len(labels) + 1)
    return float((precision * labels).sum() / num_pos)


def speaker(path):
    base = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return base.split("_", 1)[1] if "_" in base else base


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    words_path, vectors_path = args
    rows = [l.rstrip("\n").split("\t") for l in open(words_path) if l.strip()]
    vecs = [json.loads(l) for l in open(vectors_path) if l.strip()]
    key = lambda f, s: (f.rsplit("/", 1)[-1], round(float(s), 2))
    by_key = {key(v["file"], v["start"]): v["vector"] for v in vecs}
    X, words, spk = [], [], []
    for r in rows:
        k = key(r[0], r[1])
        if k in by_key:
            X.append(by_key[k]); words.append(r[3]); spk.append(speaker(r[0]))
    X = np.asarray(X, dtype=np.float64)
    X /= np.linalg.norm(X, axis=1, keepdims=True) + 1e-12
    n = len(X)
    iu = np.triu_indices(n, 1)
    sims = (X @ X.T)[iu]
    w = np.asarray(words)
    same = (w[:, None] == w[None, :])[iu]
    print(f"segments {n}, pairs {len(sims)}, positive {int(same.sum())}")
    print(f"AP all pairs: {average_precision(sims, same):.4f}")
    if "--speakers" in sys.argv:
        s = np.asarray(spk)
        diff = (s[:, None] != s[None, :])[iu]
        print(f"AP different-speaker pairs: {average_precision(sims[diff], same[diff]):.4f}")


main()
