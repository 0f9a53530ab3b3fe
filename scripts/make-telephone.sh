#!/bin/sh
# Pass a folder of recordings through a telephone channel: white noise at a
# signal-to-noise ratio (power over the whole recording), band-limited to
# 300-3400 Hz, resampled to 8 kHz and stored as 8-bit mu-law.  With an
# evaluation set (scripts/make-corpus.sh --eval), only the documents are
# changed (the queries stay as recorded on a "laptop") and the truth files
# are copied.
#   scripts/make-telephone.sh SRC_EVAL_DIR DST_EVAL_DIR [SNR_DB (15)]
set -eu
src=$1 dst=$2 snr=${3:-15}
PY=${PYTHON:-/usr/bin/python3}
command -v sox >/dev/null || { echo "missing sox: apt-get install -y sox" >&2; exit 1; }
mkdir -p "$dst/docs"
cp "$src"/truth.tsv "$dst"/
[ -f "$src/truth_times.tsv" ] && cp "$src"/truth_times.tsv "$dst"/
[ -f "$src/words.tsv" ] && cp "$src"/words.tsv "$dst"/
rm -rf "$dst/queries"; cp -r "$src/queries" "$dst/queries"
i=0
for f in "$src"/docs/*.wav; do
  b=$(basename "$f")
  i=$((i + 1))
  "$PY" - "$f" "$dst/docs/.noisy.wav" "$snr" "$i" <<'PYEOF'
import sys, wave, numpy as np
src, dst, snr, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
with wave.open(src) as w:
    sr, n = w.getframerate(), w.getnframes()
    x = np.frombuffer(w.readframes(n), dtype=np.int16).astype(np.float64) / 32768
power = np.mean(x ** 2)
x = x + np.random.default_rng(seed).normal(0, np.sqrt(power * 10 ** (-snr / 10)), len(x))
with wave.open(dst, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(sr)
    w.writeframes((np.clip(x, -1, 1 - 1 / 32768) * 32768).astype(np.int16).tobytes())
PYEOF
  # -R: sox dithers when it reduces the bit depth; repeatable mode seeds it,
  # so the same command gives the same bytes
  sox -q -R "$dst/docs/.noisy.wav" -r 8000 -e mu-law -b 8 "$dst/docs/$b" sinc 300-3400
done
rm -f "$dst/docs/.noisy.wav"
echo "$i recordings through the telephone channel (noise at $snr dB SNR) in $dst/docs" >&2
