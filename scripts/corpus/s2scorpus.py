#!/usr/bin/python3
"""Synthetic multi-speaker English speech with exact word times, for s2s.

Every word is synthesised on its own (espeak-ng, flite or festival), trimmed of
its silence, cached per (speaker, word), and utterances are built by joining
cached words with random pauses, so every word's start and end are known to the
sample. Standard library + numpy only; sox does resampling and some
augmentation. Called by scripts/make-corpus.sh; subcommands:

  plan-corpus OUTDIR HOURS SEED AUGFRAC   write OUTDIR/plan.jsonl + jobs.tsv
  plan-eval   OUTDIR SEED NDOCS NWORDQ NPHRASEQ AUGFRAC
  synth OUTDIR JOBFILE                    synthesise (speaker, word) jobs into OUTDIR/cache
  build OUTDIR SHARD NSHARDS              assemble utterances of the plan (one shard)
  finish OUTDIR                           merge shard outputs into the .tsv files
  continuous OUTDIR N SEED SPLIT          N sentences each synthesised whole (words run
                                          together, no word times) by SPLIT's voices
  speakers                                print the speaker table
"""
import json, os, random, re, subprocess, sys, tempfile, wave
sys.dont_write_bytecode = True
import numpy as np

SR = 16000
VOCAB_SEED = 20240601          # the vocabulary never depends on --seed
SPEAKER_SEED = 7               # nor does the speaker table (held-out voices are fixed)
# Language (make-corpus.sh --lang): "en" (default) uses every synthesiser; another language
# uses espeak-ng only (flite and festival speak English only), with that language's word list.
LANG = os.environ.get("S2S_CORPUS_LANG", "en")
# make-corpus.sh --more-voices N: the training voices below plus the first N of MORE_VOICES
# (English only). An option, not a change of the table, so corpora made without it (or with
# a smaller N) stay as they were.
NUM_MORE = int(os.environ.get("S2S_CORPUS_MORE_VOICES", "0"))
WORD_LISTS = {"en": ("/usr/share/dict/words", "wamerican"),
              "de": ("/usr/share/dict/ngerman", "wngerman"),
              "es": ("/usr/share/dict/spanish", "wspanish")}
# inflection endings whose presence marks a word as common enough (see vocabulary())
ENDINGS = {"en": ("s", "es", "ed", "d", "ing", "ly", "er", "ers"),
           "de": ("e", "en", "er", "es", "n", "s", "t", "te"),
           "es": ("s", "es", "a", "as", "os", "mente")}

# ---------------------------------------------------------------- speakers
ES_BASES = ["en", "en-us", "en-gb-x-rp", "en-029", "en-gb-scotland",
            "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc"]
ES_VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m6", "m7",
               "f1", "f2", "f3", "f4", "f5",
               "klatt", "klatt2", "klatt3", "klatt4", "croak"]
HELDOUT_ES_VARIANTS = {"m7", "f5"}        # every espeak speaker with these variants is held out
HELDOUT_FLITE = {"rms"}                   # flite voice held out (with its tempo variants)
HELDOUT_FESTIVAL = {"cmu_us_slt_arctic_hts"}
# More training voices (--more-voices N, the first N; append only, so a smaller N stays the
# same): (engine, voice, tempo stretch, mean pitch in Hz or 0 for the voice's own). First 7:
# festival's second diphone voice, and the flite voices at another mean pitch (flite's
# int_f0_target_mean; its own for kal/kal16 is ~89, awb ~127, slt ~170) and tempo, so the
# same vocal tract speaks with another voice source. Next 6: the festival diphone voices at
# other pitches (its int_lr_params target mean; its own ~100) and flite's at more.
MORE_VOICES = [("flite", "kal", 0.90, 115), ("flite", "kal16", 1.00, 130),
               ("flite", "awb", 1.12, 100), ("flite", "slt", 1.00, 210),
               ("flite", "slt", 1.12, 140), ("festival", "ked_diphone", 1.00, 0),
               ("festival", "ked_diphone", 1.15, 0),
               ("festival", "kal_diphone", 1.00, 140), ("festival", "kal_diphone", 1.08, 180),
               ("festival", "ked_diphone", 1.08, 150), ("festival", "ked_diphone", 0.92, 190),
               ("flite", "awb", 1.00, 160), ("flite", "kal16", 1.12, 100)]


def speaker_table():
    """Fixed list of speakers: dicts with id, engine, voice, pitch, rate, stretch, split.
    For a language other than English: espeak-ng's voice for it with every variant, all
    held out (no model has been trained on it)."""
    rng = random.Random(SPEAKER_SEED)
    sp = []
    if LANG != "en":
        for var in ES_VARIANTS:
            for k in range(2):
                female = var.startswith("f")
                pitch = rng.randint(45, 80) if female else rng.randint(25, 60)
                rate = rng.randint(135, 190)
                sp.append(dict(id=f"es-{LANG}-{var}-p{pitch}-s{rate}", engine="espeak",
                               voice=f"{LANG}+{var}", pitch=pitch, rate=rate, stretch=1.0,
                               split="heldout"))
        return sp
    for i, var in enumerate(ES_VARIANTS):
        for k in range(2):                 # two accents / pitch / speed settings per variant
            base = ES_BASES[(i * 3 + k * 5) % len(ES_BASES)]
            female = var.startswith("f")
            pitch = rng.randint(45, 80) if female else rng.randint(25, 60)
            rate = rng.randint(135, 190)
            sp.append(dict(id=f"es-{base}-{var}-p{pitch}-s{rate}", engine="espeak",
                           voice=f"{base}+{var}", pitch=pitch, rate=rate, stretch=1.0,
                           split="heldout" if var in HELDOUT_ES_VARIANTS else "train"))
    for v, st in [("kal", 1.0), ("kal16", 1.0), ("kal16", 1.12), ("awb", 1.0), ("awb", 0.9),
                  ("rms", 1.0), ("rms", 1.12), ("slt", 1.0), ("slt", 0.9)]:
        sp.append(dict(id=f"fl-{v}-d{st:.2f}", engine="flite", voice=v, pitch=0, rate=0,
                       stretch=st, split="heldout" if v in HELDOUT_FLITE else "train"))
    for v, st in [("kal_diphone", 1.0), ("kal_diphone", 1.15), ("cmu_us_slt_arctic_hts", 1.0)]:
        sp.append(dict(id=f"fe-{v}-d{st:.2f}", engine="festival", voice=v, pitch=0, rate=0,
                       stretch=st, split="heldout" if v in HELDOUT_FESTIVAL else "train"))
    for engine, v, st, f0 in MORE_VOICES[:NUM_MORE]:
        sp.append(dict(id=f"{engine[:2]}-{v}-d{st:.2f}" + (f"-f{f0}" if f0 else ""),
                       engine=engine, voice=v, pitch=f0, rate=0, stretch=st, split="train"))
    return sp


SPEAKERS = {s["id"]: s for s in speaker_table()}
ENGINE_WEIGHT = {"espeak": 0.5, "flite": 0.3, "festival": 0.2}


def pick_speaker(rng, ids):
    """Pick a speaker: engines weighted, then uniform within the engine."""
    by = {}
    for i in ids:
        by.setdefault(SPEAKERS[i]["engine"], []).append(i)
    engs = sorted(by)
    e = rng.choices(engs, weights=[ENGINE_WEIGHT[x] for x in engs])[0]
    return rng.choice(sorted(by[e]))


# ---------------------------------------------------------------- vocabulary
BLOCK = set("""copulate rape raped raping rapist slut whore nigger fag faggot cunt fuck fucked
fucking shit shitty bitch bastard dick cock penis vagina anus anal orgasm masturbate porn
porno gyp gyps foreskin sodomy sodomize kike spic chink dyke homo tit tits boob boobs pussy damn crap piss
pissed nazi kill killed""".split())


def vocabulary():
    """Common-looking English words: lowercase alphabetic, 3-10 letters, from the system word
    list, keeping words that have an inflected sibling in the list (word+s, +ed, +ing, ...),
    which drops most rare words and proper-noun-like forms. Deterministic."""
    path, package = WORD_LISTS[LANG]
    if not os.path.exists(path):
        sys.exit(f"no {path}: apt-get install -y {package}")
    W = set(l.strip() for l in open(path, encoding="utf-8", errors="replace"))
    if LANG != "en":   # nouns are capitalised in German: compare in lower case
        W = {w.lower() for w in W}
    letters = {"en": "a-z", "de": "a-zäöüß", "es": "a-záéíóúüñ"}[LANG]
    ok = sorted(w for w in W if re.fullmatch(f"[{letters}]{{3,10}}", w) and w not in BLOCK)
    sib = lambda w: sum((w + s) in W for s in ENDINGS[LANG])
    base = [w for w in ok if sib(w) >= 1 and not (w.endswith("s") and w[:-1] in W)
            and re.search(r"[aeiouy]", w) and not re.search(r"(.)\1\1", w)]
    rng = random.Random(VOCAB_SEED)
    rng.shuffle(base)
    return base[:6000]          # shuffled order doubles as the frequency rank (Zipf-like use)


def phrase_list(vocab, n=600):
    rng = random.Random(VOCAB_SEED + 1)
    fw = ["the", "a", "of", "in", "on", "to", "and", "my", "his", "her", "our", "big", "old", "new"]
    out, seen = [], set()
    top = vocab[:1500]
    while len(out) < n:
        k = rng.choice([2, 2, 3])
        if k == 2:
            p = [rng.choice(top), rng.choice(top)]
        else:
            p = [rng.choice(top), rng.choice(fw), rng.choice(top)]
        t = " ".join(p)
        if t not in seen and len(set(p)) == len(p):
            seen.add(t); out.append(p)
    return out


class ZipfSampler:
    def __init__(self, words, s=0.9, offset=8):
        self.words = words
        w = [1.0 / (r + offset) ** s for r in range(len(words))]
        self.cum = np.cumsum(w); self.cum /= self.cum[-1]

    def __call__(self, rng):
        return self.words[int(np.searchsorted(self.cum, rng.random()))]


# ---------------------------------------------------------------- audio helpers
def read_wav(path):
    with wave.open(path, "rb") as f:
        assert f.getsampwidth() == 2 and f.getnchannels() == 1, path
        return np.frombuffer(f.readframes(f.getnframes()), dtype="<i2").astype(np.float32), f.getframerate()


def write_wav(path, x, sr=SR):
    x = np.clip(np.round(x), -32768, 32767).astype("<i2")
    tmp = path + ".part"
    with wave.open(tmp, "wb") as f:
        f.setnchannels(1); f.setsampwidth(2); f.setframerate(sr); f.writeframes(x.tobytes())
    os.replace(tmp, path)


def to16k(src, dst):
    subprocess.run(["sox", "-R", "-V1", "-G", src, "-r", str(SR), "-c", "1", "-b", "16", "-e", "signed-integer", dst],
                   check=True)


def trim(x, margin=0.01, floor_db=-40.0):
    """Cut leading/trailing silence: 5 ms frames whose energy is more than 40 dB below the
    loudest frame; keep a 10 ms margin."""
    if len(x) == 0:
        return x
    hop = 80
    n = len(x) // hop
    if n == 0:
        return x
    e = (x[:n * hop].reshape(n, hop) ** 2).mean(1) + 1e-9
    db = 10 * np.log10(e)
    keep = np.nonzero(db > db.max() + floor_db)[0]
    a = max(0, keep[0] * hop - int(margin * SR))
    b = min(len(x), (keep[-1] + 1) * hop + int(margin * SR))
    return x[a:b]


def cache_path(out, spk, word):
    return os.path.join(out, "cache", spk, word + ".wav")


# ---------------------------------------------------------------- synthesis
def synth_raw(spk, text, dst):
    """Synthesise text with a speaker into dst (engine's native format)."""
    s = SPEAKERS[spk]
    if s["engine"] == "espeak":
        subprocess.run(["espeak-ng", "-v", s["voice"], "-p", str(s["pitch"]), "-s", str(s["rate"]),
                        "-w", dst, text], check=True, stdout=subprocess.DEVNULL)
    elif s["engine"] == "flite":
        f0 = ["--setf", f"int_f0_target_mean={s['pitch']}"] if s["pitch"] else []  # 0: voice's own
        subprocess.run(["flite", "-voice", s["voice"], "--setf", f"duration_stretch={s['stretch']}"]
                       + f0 + ["-t", text, "-o", dst], check=True, stdout=subprocess.DEVNULL)
    else:
        festival_batch(spk, [(text, dst)])


def festival_batch(spk, items):
    """Synthesise many (text, dst) pairs with one festival process."""
    s = SPEAKERS[spk]
    lines = [f"(voice_{s['voice']})", f"(Parameter.set 'Duration_Stretch {s['stretch']})"]
    if s["pitch"]:   # the linear-regression intonation model's target mean (and spread) in Hz
        lines.append(f"(set! int_lr_params '((target_f0_mean {s['pitch']}) (target_f0_std "
                     f"{round(s['pitch'] * 0.14)}) (model_f0_mean 170) (model_f0_std 34)))")
    for text, dst in items:
        t = text.replace("\\", " ").replace('"', " ")
        lines.append(f'(utt.save.wave (SynthText "{t}") "{dst}" \'riff)')
    with tempfile.NamedTemporaryFile("w", suffix=".scm", delete=False) as f:
        f.write("\n".join(lines) + "\n")
    try:
        subprocess.run(["festival", "-b", f.name], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    finally:
        os.unlink(f.name)


def synth_to(spk, text, dst, do_trim=True):
    """text -> 16 kHz mono 16-bit, trimmed, at dst. Returns the samples."""
    with tempfile.TemporaryDirectory() as td:
        raw, r16 = os.path.join(td, "raw.wav"), os.path.join(td, "16.wav")
        synth_raw(spk, text, raw)
        to16k(raw, r16)
        x, _ = read_wav(r16)
    if do_trim:
        x = trim(x)
    write_wav(dst, x)
    return x


def cmd_synth(out, jobfile):
    jobs = [l.rstrip("\n").split("\t") for l in open(jobfile) if l.strip()]
    todo = [(s, w) for s, w in jobs if not os.path.exists(cache_path(out, s, w))]
    fest = {}
    for s, w in todo:
        os.makedirs(os.path.join(out, "cache", s), exist_ok=True)
        if SPEAKERS[s]["engine"] == "festival":
            fest.setdefault(s, []).append(w)
        else:
            synth_to(s, w, cache_path(out, s, w))
    for s, words in fest.items():
        with tempfile.TemporaryDirectory() as td:
            items = [(w, os.path.join(td, f"{i}.wav")) for i, w in enumerate(words)]
            festival_batch(s, items)
            for (w, raw) in items:
                r16 = raw[:-4] + "_16.wav"
                to16k(raw, r16)
                x, _ = read_wav(r16)
                write_wav(cache_path(out, s, w), trim(x))


# ---------------------------------------------------------------- augmentation
def pick_aug(rng, frac):
    """None, or a dict of the augmentations for one utterance."""
    if rng.random() >= frac:
        return {}
    kinds = rng.choice([["speed"], ["noise"], ["tel"], ["speed", "noise"], ["noise", "tel"],
                        ["speed", "tel"]])
    a = {}
    if "speed" in kinds:
        a["speed"] = rng.choice([0.9, 1.1])
    if "noise" in kinds:
        a["snr"] = round(rng.uniform(10, 20), 1)
        a["noise_tilt"] = rng.choice(["white", "pink", "brown"])
    if "tel" in kinds:
        a["tel"] = 1
    return a


def aug_name(a):
    if not a:
        return "none"
    p = []
    if "speed" in a:
        p.append(f"speed{a['speed']}")
    if "snr" in a:
        p.append(f"noise{a['noise_tilt']}{a['snr']}dB")
    if "tel" in a:
        p.append("tel")
    return "+".join(p)


def coloured_noise(rng, n, kind):
    w = rng.standard_normal(n)
    if kind == "white":
        return w
    f = np.fft.rfft(w)
    k = np.arange(len(f)); k[0] = 1
    f = f / (np.sqrt(k) if kind == "pink" else k)
    y = np.fft.irfft(f, n)
    return y / (y.std() + 1e-12)


def sox_chain(x, args_in_out):
    """Run x (16 kHz int16 samples) through sox effects; returns 16 kHz samples."""
    with tempfile.TemporaryDirectory() as td:
        a, b = os.path.join(td, "a.wav"), os.path.join(td, "b.wav")
        write_wav(a, x)
        subprocess.run(["sox", "-R", "-V1", "-G", a] + args_in_out(b), check=True)
        y, sr = read_wav(b)
        assert sr == SR
    return y


def apply_aug(x, a, nprng, speech_mask):
    """Returns (audio, time_scale): word times must be divided by time_scale (speed factor)."""
    scale = 1.0
    if "speed" in a:
        f = a["speed"]
        x = sox_chain(x, lambda b: ["-r", str(SR), "-b", "16", b, "speed", str(f)])
        scale = f
        speech_mask = None
    if "snr" in a:
        sig = x[speech_mask] if speech_mask is not None and speech_mask.any() else x
        p = float((sig ** 2).mean()) + 1e-9
        nz = coloured_noise(nprng, len(x), a["noise_tilt"])
        x = x + nz * np.sqrt(p / 10 ** (a["snr"] / 10))
        pk = np.abs(x).max()
        if pk > 32000:
            x = x * (32000 / pk)
    if "tel" in a:
        # 8 kHz, 300-3400 Hz band, mu-law, then back to 16 kHz
        with tempfile.TemporaryDirectory() as td:
            i, m, o = (os.path.join(td, n) for n in ("i.wav", "m.wav", "o.wav"))
            write_wav(i, x)
            subprocess.run(["sox", "-R", "-V1", "-G", i, "-r", "8000", "-e", "u-law", m, "sinc", "300-3400"], check=True)
            subprocess.run(["sox", "-R", "-V1", "-G", m, "-r", str(SR), "-e", "signed-integer", "-b", "16", o], check=True)
            x, _ = read_wav(o)
    return x, scale


# ---------------------------------------------------------------- assembling
def assemble(out, spk, tokens, pauses, lead, tail, seed):
    """Join cached words. Returns (samples, [(start_s, end_s, word)])."""
    parts, times, pos = [], [], 0
    z = lambda sec: np.zeros(int(round(sec * SR)), dtype=np.float32)
    parts.append(z(lead)); pos += len(parts[-1])
    for i, w in enumerate(tokens):
        if i:
            parts.append(z(pauses[i - 1])); pos += len(parts[-1])
        x, _ = read_wav(cache_path(out, spk, w))
        times.append((pos, pos + len(x), w))
        parts.append(x); pos += len(x)
    parts.append(z(tail))
    x = np.concatenate(parts)
    return x, times


def finish_level(x, rng, nprng):
    """Random level (peak -1..-8 dBFS) and a faint noise floor (~ -75 dBFS)."""
    pk = np.abs(x).max() + 1e-9
    x = x * (32767 * 10 ** (-rng.uniform(1, 8) / 20) / pk)
    return x + nprng.standard_normal(len(x)) * 32767 * 10 ** (-75 / 20)


def render(out, u, wavpath):
    """Render one planned utterance (dict) to wavpath; returns word times in seconds."""
    seed = u["seed"]
    rng, nprng = random.Random(seed), np.random.default_rng(seed)
    x, times = assemble(out, u["speaker"], u["tokens"], u["pauses"], u["lead"], u["tail"], seed)
    mask = np.zeros(len(x), bool)
    for a, b, _ in times:
        mask[a:b] = True
    x = finish_level(x, rng, nprng)
    x, scale = apply_aug(x, u["aug"], nprng, mask)
    write_wav(wavpath, x)
    return [(round(a / SR / scale, 4), round(b / SR / scale, 4), w) for a, b, w in times], len(x) / SR


# ---------------------------------------------------------------- planning
def est_word_dur(spk, w):
    s = SPEAKERS[spk]
    base = 0.16 + 0.065 * len(w)
    if s["engine"] == "espeak":
        base *= 170.0 / s["rate"]
    else:
        base *= s["stretch"]
    return base


def make_sentence(rng, zipf, phrases, nmin=4, nmax=12):
    """Tokens and phrase spans [(i, j)] for one sentence."""
    n = rng.randint(nmin, nmax)
    toks, spans = [], []
    while len(toks) < n:
        if rng.random() < 0.12 and n - len(toks) >= 2:
            p = rng.choice(phrases)
            spans.append((len(toks), len(toks) + len(p)))
            toks += p
        else:
            toks.append(zipf(rng))
    return toks, spans


def pauses_for(rng, n, lo=0.03, hi=0.25):
    # mostly short pauses, sometimes longer (skewed toward the low end)
    return [round(lo + (hi - lo) * rng.random() ** 1.7, 3) for _ in range(n)]


def write_plan(out, plan):
    with open(os.path.join(out, "plan.jsonl"), "w") as f:
        for u in plan:
            f.write(json.dumps(u) + "\n")
    jobs = sorted({(u["speaker"], w) for u in plan for w in u["tokens"]})
    # spread the jobs of each speaker over the job list so both workers get festival work
    with open(os.path.join(out, "jobs.tsv"), "w") as f:
        for s, w in jobs:
            f.write(f"{s}\t{w}\n")
    return len(jobs)


def write_speakers(out):
    with open(os.path.join(out, "speakers.tsv"), "w") as f:
        f.write("speaker\tengine\tvoice\tpitch\trate\tstretch\tsplit\n")
        for s in speaker_table():
            f.write(f"{s['id']}\t{s['engine']}\t{s['voice']}\t{s['pitch']}\t{s['rate']}\t{s['stretch']}\t{s['split']}\n")


def cmd_plan_corpus(out, hours, seed, augfrac):
    rng = random.Random(seed)
    vocab = vocabulary(); phrases = phrase_list(vocab); zipf = ZipfSampler(vocab)
    ids = sorted(SPEAKERS)
    target, tot, plan, k = hours * 3600.0, 0.0, [], 0
    while tot < target:
        spk = pick_speaker(rng, ids)
        toks, spans = make_sentence(rng, zipf, phrases)
        pauses = pauses_for(rng, len(toks) - 1)
        lead, tail = round(rng.uniform(0.1, 0.35), 3), round(rng.uniform(0.1, 0.35), 3)
        aug = pick_aug(rng, augfrac)
        d = sum(est_word_dur(spk, w) for w in toks) + sum(pauses) + lead + tail
        tot += 0.93 * d / aug.get("speed", 1.0)   # 0.93: measured real/estimated
        plan.append(dict(id=f"u{k:06d}_{spk}", speaker=spk, tokens=toks, spans=spans, pauses=pauses,
                         lead=lead, tail=tail, aug=aug, seed=rng.randrange(2 ** 31), kind="wav"))
        k += 1
    write_speakers(out)
    n = write_plan(out, plan)
    print(f"planned {len(plan)} utterances, ~{tot/3600:.2f} h, {n} (speaker, word) syntheses", file=sys.stderr)


def cmd_plan_eval(out, seed, ndocs, nwq, npq, augfrac):
    """Evaluation set from held-out speakers only: documents of several sentences, query terms
    (single words and 2-3 word phrases) each planted in 3-6 documents whose speaker differs from
    the query's speaker; filler words never contain a query word."""
    rng = random.Random(seed)
    vocab = vocabulary()
    held = sorted(s for s in SPEAKERS if SPEAKERS[s]["split"] == "heldout")
    # query terms: single words of 5-10 letters, and phrases of 2-3 content words
    pool = [w for w in vocab[:3000] if len(w) >= 5]
    rng.shuffle(pool)
    qwords = [[w] for w in pool[:nwq]]
    used = {w for (w,) in qwords}
    rest = [w for w in vocab[:3000] if w not in used and len(w) >= 4]
    rng.shuffle(rest)
    qphr, i = [], 0
    for j in range(npq):
        k = 2 if j % 3 else 3
        qphr.append(rest[i:i + k]); i += k
    terms = qwords + qphr
    banned = {w for t in terms for w in t}
    filler = ZipfSampler([w for w in vocab if w not in banned])
    # documents: speakers round-robin over held-out speakers (shuffled, fixed seed)
    docs = []
    for d in range(ndocs):
        docs.append(dict(id=f"doc{d:03d}", speaker=held[d % len(held)], terms=[]))
    rng.shuffle(docs)
    docs.sort(key=lambda d: d["id"])
    queries = []
    for qi, t in enumerate(terms):
        qspk = held[(qi * 3 + 1) % len(held)]
        # never the same engine+voice family as any document holding it
        fam = lambda s: (SPEAKERS[s]["engine"], SPEAKERS[s]["voice"].split("+")[-1])
        cands = [d for d in docs if fam(d["speaker"]) != fam(qspk) and len(d["terms"]) < 6]
        k = rng.randint(3, 6)
        for d in rng.sample(cands, min(k, len(cands))):
            d["terms"].append(qi)
        name = "_".join(t)
        queries.append(dict(id=name, speaker=qspk, tokens=t))
    plan = []
    for d in docs:
        nsent = rng.randint(2, 4)
        sents = []
        for _ in range(nsent):
            n = rng.randint(4, 9)
            sents.append([filler(rng) for _ in range(n)])
        for qi in d["terms"]:
            s = rng.choice(sents)
            pos = rng.randint(0, len(s))
            s[pos:pos] = [("@", qi)]
        toks, spans = [], []
        pauses = []
        for si, s in enumerate(sents):
            if si:
                pauses.append(round(rng.uniform(0.35, 0.7), 3))   # sentence break
            first = True
            for item in s:
                ws = terms[item[1]] if isinstance(item, tuple) else [item]
                if isinstance(item, tuple):
                    spans.append((len(toks), len(toks) + len(ws), item[1]))
                for w in ws:
                    if not first:
                        pauses.append(pauses_for(rng, 1)[0])
                    first = False
                    toks.append(w)
        aug = pick_aug(rng, augfrac)
        plan.append(dict(id=d["id"], speaker=d["speaker"], tokens=toks, spans=spans, pauses=pauses,
                         lead=round(rng.uniform(0.2, 0.5), 3), tail=round(rng.uniform(0.2, 0.5), 3),
                         aug=aug, seed=rng.randrange(2 ** 31), kind="docs"))
    for q in queries:
        plan.append(dict(id=q["id"], speaker=q["speaker"], tokens=q["tokens"], spans=[],
                         pauses=pauses_for(rng, len(q["tokens"]) - 1, 0.03, 0.09),
                         lead=0.15, tail=0.15, aug={}, seed=rng.randrange(2 ** 31), kind="queries"))
    with open(os.path.join(out, "terms.json"), "w") as f:
        json.dump(["_".join(t) for t in terms], f)
    write_speakers(out)
    n = write_plan(out, plan)
    print(f"planned {ndocs} documents and {len(queries)} queries, {n} (speaker, word) syntheses",
          file=sys.stderr)


# ---------------------------------------------------------------- build / finish
def cmd_build(out, shard, nshards):
    plan = [json.loads(l) for l in open(os.path.join(out, "plan.jsonl"))]
    res = []
    for i, u in enumerate(plan):
        if i % nshards != shard:
            continue
        rel = os.path.join(u["kind"], u["id"] + ".wav")
        os.makedirs(os.path.join(out, u["kind"]), exist_ok=True)
        times, dur = render(out, u, os.path.join(out, rel))
        res.append(dict(i=i, file=rel, times=times, dur=dur))
    with open(os.path.join(out, f"built.{shard}.jsonl"), "w") as f:
        for r in res:
            f.write(json.dumps(r) + "\n")


def cmd_finish(out):
    plan = [json.loads(l) for l in open(os.path.join(out, "plan.jsonl"))]
    built = {}
    for fn in sorted(os.listdir(out)):
        if fn.startswith("built.") and fn.endswith(".jsonl"):
            for l in open(os.path.join(out, fn)):
                r = json.loads(l); built[r["i"]] = r
            os.unlink(os.path.join(out, fn))
    assert len(built) == len(plan), f"built {len(built)} of {len(plan)}"
    split = {s: SPEAKERS[s]["split"] for s in SPEAKERS}
    is_eval = any(u["kind"] == "docs" for u in plan)
    W = open(os.path.join(out, "words.tsv"), "w")
    P = open(os.path.join(out, "phrases.tsv"), "w")
    U = open(os.path.join(out, "utterances.tsv"), "w")
    tot = {"train": 0.0, "heldout": 0.0}
    truth, ttimes = [], []
    terms = json.load(open(os.path.join(out, "terms.json"))) if is_eval else []
    for i, u in enumerate(plan):
        r = built[i]
        U.write(f"{r['file']}\t{u['speaker']}\t{aug_name(u['aug'])}\t{' '.join(u['tokens'])}\n")
        tot[split[u["speaker"]]] += r["dur"]
        for a, b, w in r["times"]:
            W.write(f"{r['file']}\t{a:.4f}\t{b:.4f}\t{w}\n")
        for sp in u["spans"]:
            a, b = r["times"][sp[0]][0], r["times"][sp[1] - 1][1]
            ws = " ".join(u["tokens"][sp[0]:sp[1]])
            P.write(f"{r['file']}\t{a:.4f}\t{b:.4f}\t{ws}\n")
            if u["kind"] == "docs":
                truth.append((terms[sp[2]], u["id"])); ttimes.append((terms[sp[2]], u["id"], a, b))
    W.close(); P.close(); U.close()
    if is_eval:
        with open(os.path.join(out, "truth.tsv"), "w") as f:
            for q, d in sorted(set(truth)):
                f.write(f"{q}\t{d}\n")
        with open(os.path.join(out, "truth_times.tsv"), "w") as f:
            for q, d, a, b in sorted(ttimes):
                f.write(f"{q}\t{d}\t{a:.4f}\t{b:.4f}\n")
        with open(os.path.join(out, "queries.tsv"), "w") as f:
            for u in plan:
                if u["kind"] == "queries":
                    f.write(f"{u['id']}\t{u['speaker']}\t{' '.join(u['tokens'])}\n")
        nd = sum(u["kind"] == "docs" for u in plan)
        print(f"eval set: {nd} documents ({tot['heldout']/60:.1f} min incl. queries), "
              f"{len(terms)} queries, {len(set(truth))} relevant (query, doc) pairs", file=sys.stderr)
    else:
        for sp in ("train", "heldout"):
            names = {s for s in SPEAKERS if split[s] == sp}
            with open(os.path.join(out, f"words.{sp}.tsv"), "w") as f:
                for i, u in enumerate(plan):
                    if u["speaker"] in names:
                        r = built[i]
                        for a, b, w in r["times"]:
                            f.write(f"{r['file']}\t{a:.4f}\t{b:.4f}\t{w}\n")
        print(f"corpus: {len(plan)} utterances, train {tot['train']/3600:.3f} h, "
              f"heldout {tot['heldout']/3600:.3f} h", file=sys.stderr)


def _continuous_one(job):
    """One sentence synthesised whole by its speaker (a worker of cmd_continuous)."""
    out, uid, spk, text = job
    dst = os.path.join(out, "wav", uid + ".wav")
    if not os.path.exists(dst):
        synth_to(spk, text, dst + ".part.wav")
        os.replace(dst + ".part.wav", dst)
    return uid


def cmd_continuous(out, n, seed, split):
    """n sentences of the corpus's kind (random words of the vocabulary, some phrases), each
    synthesised whole by one speaker of the split (train or heldout), as real speech runs its
    words together: OUT/wav/cNNNNNN_SPEAKER.wav and OUT/transcripts.tsv (wav/FILE<TAB>text).
    No word times (the engines do not give them); s2s train --transcripts needs none."""
    import multiprocessing
    rng = random.Random(seed)
    vocab = vocabulary(); phrases = phrase_list(vocab); zipf = ZipfSampler(vocab)
    ids = sorted(i for i in SPEAKERS if SPEAKERS[i]["split"] == split)
    jobs = []
    for k in range(n):
        spk = pick_speaker(rng, ids)
        toks, _ = make_sentence(rng, zipf, phrases)
        jobs.append((out, f"c{k:06d}_{spk}", spk, " ".join(toks)))
    os.makedirs(os.path.join(out, "wav"), exist_ok=True)
    write_speakers(out)
    with multiprocessing.Pool(2) as pool:
        for done, _ in enumerate(pool.imap_unordered(_continuous_one, jobs, chunksize=4), 1):
            if done % 200 == 0:
                print(f"{done}/{n} sentences", file=sys.stderr)
    with open(os.path.join(out, "transcripts.tsv"), "w") as f:
        for _, uid, spk, text in jobs:
            f.write(f"wav/{uid}.wav\t{text}\n")
    print(f"{n} sentences by {len({j[2] for j in jobs})} {split} voices in {out}", file=sys.stderr)


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    c = a[0]
    if c == "plan-corpus":
        os.makedirs(a[1], exist_ok=True)
        cmd_plan_corpus(a[1], float(a[2]), int(a[3]), float(a[4]))
    elif c == "plan-eval":
        os.makedirs(a[1], exist_ok=True)
        cmd_plan_eval(a[1], int(a[2]), int(a[3]), int(a[4]), int(a[5]), float(a[6]))
    elif c == "synth":
        cmd_synth(a[1], a[2])
    elif c == "build":
        cmd_build(a[1], int(a[2]), int(a[3]))
    elif c == "finish":
        cmd_finish(a[1])
    elif c == "continuous":
        cmd_continuous(a[1], int(a[2]), int(a[3]), a[4])
    elif c == "speakers":
        for s in speaker_table():
            print(f"{s['id']}\t{s['engine']}\t{s['voice']}\t{s['split']}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
