#!/usr/bin/python3
"""Same-different average precision (Kamper et al.'s measure) of s2s models
beside two baselines, on the same word segments of held-out voices.

    scripts/eval-same-different.py CORPUS MODEL [MODEL...] [--segments N] [--seed S]

CORPUS is a corpus made by scripts/make-corpus.sh (its words.heldout.tsv:
the words of voices no model was trained on). N segments (default 600) of
words that occur at least twice are drawn; every pair of them is scored, and
a pair is positive when the words match. AP is reported over all pairs and
over the pairs whose segments come from different speakers (speaker = file
name after its first '_'). Systems:
  - each MODEL: cosine similarity of the vectors `s2s embed --segments` gives;
  - mfcc4: the segment's normalised frames averaged in 4 equal parts and
    concatenated (the "naive encoder" of Audio Word2Vec), cosine;
  - dtw: whole-to-whole DTW of the frames, cosine frame distance, cost
    averaged over the path (../shared/peers/dtw.c full_dtw), negated.
Frames for the baselines are the first model's (MFCC + deltas, normalised).
Needs python3-numpy; builds the DTW peer with gcc."""
import collections, ctypes, json, os, random, subprocess, sys, tempfile
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
S2S = os.environ.get("S2S", os.path.join(ROOT, "build", "s2s"))
PEER_DTW = os.path.join(ROOT, "..", "shared", "peers", "dtw.c")


def average_precision(scores, labels):
    order = np.argsort(-scores, kind="stable")
    labels = labels[order]
    hits = np.cumsum(labels)
    if len(hits) == 0 or hits[-1] == 0:
        return float("nan")
    return float(((hits / np.arange(1, len(labels) + 1)) * labels).sum() / hits[-1])


def speaker(path):
    base = os.path.basename(path).rsplit(".", 1)[0]
    return base.split("_", 1)[1] if "_" in base else base


def choose_segments(corpus, num, seed):
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(corpus, "words.heldout.tsv")) if l.strip()]
    by_word = collections.defaultdict(list)
    for r in rows:
        by_word[r[3]].append(r)
    rng = random.Random(seed)
    words = sorted(w for w, rs in by_word.items() if len(rs) >= 2)
    rng.shuffle(words)
    chosen = []
    for w in words:  # whole groups, so every chosen word has a partner
        if len(chosen) + len(by_word[w]) > num:
            continue
        chosen.extend(by_word[w])
    return [(os.path.join(corpus, r[0]), float(r[1]), float(r[2]), r[3]) for r in chosen]


def embed(model, segments, tmp):
    seg_file = os.path.join(tmp, "segments.tsv")
    with open(seg_file, "w") as f:
        for path, start, end, _ in segments:
            f.write(f"{path}\t{start:.4f}\t{end:.4f}\n")
    out = subprocess.run([S2S, "embed", "-q", "--model", model, "--segments", seg_file],
                         check=True, capture_output=True, text=True).stdout
    vectors = [json.loads(l)["vector"] for l in out.splitlines() if l.strip()]
    assert len(vectors) == len(segments), f"{len(vectors)} vectors for {len(segments)} segments"
    return np.asarray(vectors, dtype=np.float64)


def read_ark(path):
    """Kaldi binary float-matrix archive -> {key: (rows, cols) array}."""
    data, out, pos = open(path, "rb").read(), {}, 0
    while pos < len(data):
        space = data.index(b" ", pos)
        key = data[pos:space].decode()
        assert data[space + 1:space + 6] == b"\0BFM "
        rows = int.from_bytes(data[space + 7:space + 11], "little")
        cols = int.from_bytes(data[space + 12:space + 16], "little")
        start = space + 16
        out[key] = np.frombuffer(data, np.float32, rows * cols, start).reshape(rows, cols)
        pos = start + 4 * rows * cols
    return out


def segment_frames(model, segments, tmp):
    files = sorted({s[0] for s in segments})
    ark = os.path.join(tmp, "frames.ark")
    subprocess.run([S2S, "features", "-q", "--model", model, "--format", "ark", "-o", ark] + files, check=True)
    frames = read_ark(ark)
    key = lambda p: os.path.basename(p).rsplit(".", 1)[0]
    out = []
    for path, start, end, _ in segments:
        f = frames[key(path)]
        a = min(int(round(start * 100)), len(f) - 1)
        b = max(a + 2, min(int(round(end * 100)) - 2, len(f)))  # frames inside the word
        out.append(np.ascontiguousarray(f[a:b], dtype=np.float32))
    return out


def mfcc4(frames):
    out = []
    for f in frames:
        parts = np.array_split(f, 4)
        out.append(np.concatenate([p.mean(0) if len(p) else np.zeros(f.shape[1]) for p in parts]))
    return np.asarray(out, dtype=np.float64)


def cosine_pairs(X, iu):
    X = X / (np.linalg.norm(X, axis=1, keepdims=True) + 1e-12)
    return (X @ X.T)[iu]


def dtw_pairs(frames, iu, tmp):
    lib_path = os.path.join(tmp, "libdtw.so")
    subprocess.run(["gcc", "-O3", "-march=native", "-shared", "-fPIC", "-o", lib_path, PEER_DTW], check=True)
    lib = ctypes.CDLL(lib_path)
    lib.full_dtw.restype = ctypes.c_float
    P = ctypes.POINTER(ctypes.c_float)
    ptrs = [f.ctypes.data_as(P) for f in frames]
    dim = frames[0].shape[1]
    return np.array([-lib.full_dtw(ptrs[i], len(frames[i]), ptrs[j], len(frames[j]), dim)
                     for i, j in zip(*iu)])


def main():
    args, opts = [], {"--segments": "600", "--seed": "1"}
    it = iter(sys.argv[1:])
    for a in it:
        if a in opts:
            opts[a] = next(it)
        else:
            args.append(a)
    if len(args) < 2:
        sys.exit(__doc__)
    corpus, models = args[0], args[1:]
    segments = choose_segments(corpus, int(opts["--segments"]), int(opts["--seed"]))
    n = len(segments)
    iu = np.triu_indices(n, 1)
    words = np.array([s[3] for s in segments])
    spk = np.array([speaker(s[0]) for s in segments])
    same = (words[:, None] == words[None, :])[iu]
    diff_spk = (spk[:, None] != spk[None, :])[iu]
    print(f"{n} word segments of held-out voices, {len(same)} pairs, {int(same.sum())} same-word "
          f"({int((same & diff_spk).sum())} of them across speakers)")
    print("| system | AP, all pairs | AP, different-speaker pairs |")
    print("| --- | --- | --- |")
    row = lambda name, s: print(f"| {name} | {average_precision(s, same):.3f} | "
                                f"{average_precision(s[diff_spk], same[diff_spk]):.3f} |", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for model in models:
            row(f"s2s {os.path.basename(model)}", cosine_pairs(embed(model, segments, tmp), iu))
        frames = segment_frames(models[0], segments, tmp)
        row("mfcc4 (frames averaged in 4 parts)", cosine_pairs(mfcc4(frames), iu))
        row("dtw (frame-level, whole segments)", dtw_pairs(frames, iu, tmp))


main()
