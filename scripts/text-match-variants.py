#!/usr/bin/env python3
"""Variants of `s2s query --text`'s scoring, on the transcripts an index stores,
for choosing the one s2s implements (README, Text queries): each term of the
truth file is scored against every recording's transcript as
1 - (edit distance to the best run) / (phrase length), the recordings ranked
by that, MAP printed for all terms, single words and phrases.
  words    runs of whole words joined by spaces (what s2s does; gives s2s eval
           --text's MAP)
  nospace  the same without spaces in the phrase or between words
  free     a run may start and end anywhere inside words
usage: scripts/text-match-variants.py INDEX.db TRUTH.tsv [words nospace free]"""
import collections
import os
import sqlite3
import sys


def best_distance(phrase, words, sep, free):
    """Smallest edit distance between phrase and a run of the words."""
    text, starts, ends = '', set(), set()
    for i, w in enumerate(words):
        if i:
            text += sep
        starts.add(len(text))
        text += w
        ends.add(len(text))
    if free:
        starts = ends = set(range(len(text) + 1))
    m = len(phrase)
    prev = list(range(m + 1))
    best = prev[m] if 0 in ends else 10 ** 9
    for p in range(1, len(text) + 1):
        ch = text[p - 1]
        cur = [prev[0] + 1] + [0] * m
        for i in range(1, m + 1):
            cur[i] = min(prev[i - 1] + (phrase[i - 1] != ch), prev[i] + 1, cur[i - 1] + 1)
        if p in starts:
            cur = [min(c, i) for i, c in enumerate(cur)]
        if p in ends:
            best = min(best, cur[m])
        prev = cur
    return best


def main():
    db, truth = sys.argv[1], sys.argv[2]
    variants = sys.argv[3:] or ['words', 'nospace', 'free']
    docs = {}
    for path, t in sqlite3.connect(db).execute("select path, transcript from recordings"):
        docs[os.path.splitext(os.path.basename(path))[0]] = \
            [line.split('\t')[2] for line in (t or '').splitlines()]
    relevant = collections.defaultdict(set)
    for line in open(truth):
        q, d = line.rstrip('\n').split('\t')[:2]
        relevant[q].add(d)
    for variant in variants:
        aps = collections.defaultdict(list)
        for q in relevant:
            phrase, sep = q.replace('_', ' '), ' '
            if variant == 'nospace':
                phrase, sep = phrase.replace(' ', ''), ''
            scores = sorted(((1 - best_distance(phrase, w, sep, variant == 'free') / len(phrase)
                              if w else -1, d) for d, w in docs.items()),
                            key=lambda x: (-x[0], x[1]))
            found, ap = 0, 0.0
            for r, (_, d) in enumerate(scores):
                if d in relevant[q]:
                    found += 1
                    ap += found / (r + 1)
            ap /= len(relevant[q])
            aps['all'].append(ap)
            aps['phrases' if '_' in q else 'words'].append(ap)
        print(variant, ' '.join('%s MAP=%.3f' % (k, sum(v) / len(v)) for k, v in sorted(aps.items())))


if __name__ == '__main__':
    main()
