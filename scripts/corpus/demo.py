#!/usr/bin/python3
"""Make s2s's demo recordings: demo.py OUTDIR (called by scripts/make-demo.sh).

A dozen short sentences in different voices; four say "white house" inside a sentence,
the others are similar-sounding distractors. Each sentence is synthesised in pieces
(before / "white house" / after), each piece as a whole phrase so the prosody inside it is
natural, trimmed, and the pieces are joined with short pauses, so the span of "white house"
is known exactly. The query white_house.wav is spoken by a voice no recording uses."""
import os, random, sys
import numpy as np
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s2scorpus as C

V = {   # demo voices: id -> engine, voice, pitch, rate, stretch
    "es-us-m3": ("espeak", "en-us+m3", 45, 155, 1.0),
    "es-rp-f2": ("espeak", "en-gb-x-rp+f2", 60, 150, 1.0),
    "es-029-m1": ("espeak", "en-029+m1", 40, 160, 1.0),
    "es-us-f3": ("espeak", "en-us+f3", 65, 150, 1.0),
    "es-scot-m4": ("espeak", "en-gb-scotland+m4", 35, 150, 1.0),
    "fl-awb": ("flite", "awb", 0, 0, 1.0),
    "fl-rms": ("flite", "rms", 0, 0, 1.0),
    "fl-slt": ("flite", "slt", 0, 0, 1.0),
    "fl-kal16": ("flite", "kal16", 0, 0, 1.0),
    "fe-kal": ("festival", "kal_diphone", 0, 0, 1.0),
    "fe-slt-hts": ("festival", "cmu_us_slt_arctic_hts", 0, 0, 1.0),
}
for k, (e, v, p, r, s) in V.items():
    C.SPEAKERS[k] = dict(id=k, engine=e, voice=v, pitch=p, rate=r, stretch=s, split="demo")

# name, voice, pieces (the piece "white house" is the target span)
REC = [
    ("president_returned", "es-us-m3", ["the president returned to the", "white house", "on monday"]),
    ("reporters_waited", "fl-awb", ["reporters waited outside the", "white house", "all night"]),
    ("dinner_cancelled", "fe-kal", ["a small dinner at the", "white house", "was cancelled"]),
    ("tour_last_spring", "fl-slt", ["she took a tour of the", "white house", "last spring"]),
    ("white_horse", "fl-rms", ["the white horse ran across the field near the river"]),
    ("house_by_the_lake", "es-rp-f2", ["they built a small house by the lake last year"]),
    ("bright_and_white", "fl-kal16", ["the light in the long hall was bright and white all through the evening"]),
    ("warehouse_closed", "es-029-m1", ["why did the old warehouse close so early this week"]),
    ("whole_house_quiet", "es-us-f3", ["the whole house was quiet after midnight on sunday"]),
    ("fence_white", "fl-awb", ["he painted the fence white at the end of last summer"]),
    ("president_spoke", "es-scot-m4", ["the president spoke to reporters on monday morning"]),
    ("white_car_house", "fe-kal", ["the white car stopped near the old house on the hill"]),
]
QUERY_VOICE = "fe-slt-hts"
TARGET = "white house"


def main(out):
    os.makedirs(out, exist_ok=True)
    cache = os.path.join(out, ".cache")
    os.makedirs(cache, exist_ok=True)
    rng = random.Random(2024)
    nprng = np.random.default_rng(2024)
    truth, times, meta = [], [], []
    used = set()
    for name, spk, pieces in REC:
        used.add(spk)
        parts = [np.zeros(int(0.25 * C.SR), np.float32)]
        pos, span = len(parts[0]), None
        for i, p in enumerate(pieces):
            if i:
                gap = np.zeros(int(rng.uniform(0.04, 0.09) * C.SR), np.float32)
                parts.append(gap); pos += len(gap)
            x = C.synth_to(spk, p, os.path.join(cache, f"{name}_{i}.wav"))
            if p == TARGET:
                span = (pos, pos + len(x))
            parts.append(x); pos += len(x)
        parts.append(np.zeros(int(0.25 * C.SR), np.float32))
        x = C.finish_level(np.concatenate(parts), rng, nprng)
        C.write_wav(os.path.join(out, name + ".wav"), x)
        meta.append((name, C.SPEAKERS[spk]["engine"] + ":" + C.SPEAKERS[spk]["voice"], " ".join(pieces), len(x) / C.SR))
        if span:
            truth.append(name)
            times.append((name, span[0] / C.SR, span[1] / C.SR))
    assert QUERY_VOICE not in used
    q = C.synth_to(QUERY_VOICE, TARGET, os.path.join(cache, "query.wav"))
    pad = np.zeros(int(0.15 * C.SR), np.float32)
    C.write_wav(os.path.join(out, "white_house.wav"), C.finish_level(np.concatenate([pad, q, pad]), rng, nprng))
    with open(os.path.join(out, "truth.tsv"), "w") as f:
        for d in truth:
            f.write(f"white_house\t{d}\n")
    with open(os.path.join(out, "truth_times.tsv"), "w") as f:
        for d, a, b in times:
            f.write(f"white_house\t{d}\t{a:.4f}\t{b:.4f}\n")
    with open(os.path.join(out, "recordings.tsv"), "w") as f:
        f.write("file\tvoice\tduration\ttext\n")
        for n, v, t, d in meta:
            f.write(f"{n}.wav\t{v}\t{d:.2f}\t{t}\n")
        f.write(f"white_house.wav\t{C.SPEAKERS[QUERY_VOICE]['engine']}:{C.SPEAKERS[QUERY_VOICE]['voice']}\t-\t{TARGET} (the query)\n")
    for fn in os.listdir(cache):
        os.unlink(os.path.join(cache, fn))
    os.rmdir(cache)


if __name__ == "__main__":
    main(sys.argv[1])
