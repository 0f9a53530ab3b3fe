#!/usr/bin/env python3
"""Character and word error rates of `s2s transcribe` output against references.

usage: score-transcripts.py REFERENCE HYPOTHESIS [GROUPS]
  REFERENCE   lines file<TAB>text (more columns: the last is the text)
  HYPOTHESIS  lines file<TAB>text, as `s2s transcribe` prints them
Files are matched by base name. Both texts are normalised like s2s does for
its CTC head (lower case, letters and apostrophes, digits spelt out, anything
else a word break). CER counts edits over characters including the spaces
between words; WER over words. A reference file missing from the hypothesis
counts as an empty transcript. Prints one line:
  files N  CER x.xxx  WER x.xxx  (chars C, words W)
and with GROUPS (lines file<TAB>group, e.g. the speaker's voice) one more line
per group, `  GROUP: files N  CER ...`, scored over that group's files alone.
"""
import os
import re
import sys

DIGITS = "zero one two three four five six seven eight nine".split()


def normalise(text):
    text = re.sub(r"[0-9]", lambda m: " " + DIGITS[int(m.group())] + " ", text.lower())
    return " ".join(re.sub(r"[^a-z']+", " ", text).split())


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def read(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 2:
                out[os.path.basename(fields[0])] = normalise(fields[-1])
    return out


def score(ref, hyp):
    """One result line for the reference files of ref against hyp."""
    char_edits = chars = word_edits = words = 0
    for name, r in ref.items():
        h = hyp.get(name, "")
        char_edits += edit_distance(r, h)
        chars += len(r)
        word_edits += edit_distance(r.split(), h.split())
        words += len(r.split())
    return (f"files {len(ref)}  CER {char_edits / max(chars, 1):.3f}  "
            f"WER {word_edits / max(words, 1):.3f}  (chars {chars}, words {words})")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    ref, hyp = read(sys.argv[1]), read(sys.argv[2])
    print(score(ref, hyp))
    if len(sys.argv) == 4:
        groups = {}
        with open(sys.argv[3], encoding="utf-8") as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if len(fields) == 2 and os.path.basename(fields[0]) in ref:
                    groups.setdefault(fields[1], set()).add(os.path.basename(fields[0]))
        for group in sorted(groups):
            print(f"  {group}: " + score({n: ref[n] for n in groups[group]}, hyp))


if __name__ == "__main__":
    main()
