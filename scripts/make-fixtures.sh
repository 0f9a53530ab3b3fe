#!/bin/sh
# Make the committed test audio in tests/fixtures/audio/ (reproducibly: a rerun gives the
# same bytes; sox runs with -R, its repeatable mode):
#   speech_a.wav  festival cmu_us_slt_arctic_hts  "open the door please"         16 kHz mono 16-bit
#   speech_b.wav  flite awb                       "the cat sat on the mat"       16 kHz mono 16-bit
#   speech_c.wav  festival kal_diphone            "we meet again on friday"      16 kHz mono 16-bit
#     (1.5-3 s each: the synthesised speech, trimmed, with 0.1 s or more of near-silence
#      around it; a faint fixed noise floor at about -75 dBFS so no frame is all zeros)
#   speech_a_8k.wav          speech_a resampled to 8 kHz (sox), 16-bit mono
#   speech_a_44k_stereo.wav  speech_a resampled to 44.1 kHz, 2 identical channels, 24-bit
#   speech_a.flac            speech_a, lossless (decodes to speech_a.wav's samples exactly)
#   speech_a.ogg             speech_a, Ogg Vorbis (lossy)
#   speech_a_float.wav       speech_a as 32-bit float WAV (samples = int16 / 32768)
# usage: scripts/make-fixtures.sh [OUTDIR]   (default tests/fixtures/audio)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../tests/fixtures/audio}
mkdir -p "$OUT"
"${PYTHON:-/usr/bin/python3}" - "$OUT" "$HERE/corpus" <<'EOF'
import os, sys, tempfile
import numpy as np
out = sys.argv[1]; sys.path.insert(0, sys.argv[2]); sys.dont_write_bytecode = True
import s2scorpus as C
SPK = {"slt": ("festival", "cmu_us_slt_arctic_hts"), "awb": ("flite", "awb"),
       "kal": ("festival", "kal_diphone")}
for k, (e, v) in SPK.items():
    C.SPEAKERS["fx-" + k] = dict(id="fx-" + k, engine=e, voice=v, pitch=0, rate=0, stretch=1.0, split="fixture")
for i, (name, spk, text) in enumerate([("speech_a", "slt", "open the door please"),
                                       ("speech_b", "awb", "the cat sat on the mat"),
                                       ("speech_c", "kal", "we meet again on friday")]):
    with tempfile.TemporaryDirectory() as td:
        x = C.synth_to("fx-" + spk, text, os.path.join(td, "x.wav"))
    pad = 0.1 * C.SR
    extra = max(0, 1.5 * C.SR - len(x) - 2 * pad)          # at least 1.5 s in all
    a = int(pad + extra // 2); b = int(pad + extra - extra // 2)
    x = np.concatenate([np.zeros(a, np.float32), x, np.zeros(b, np.float32)])
    x = x * (32767 * 10 ** (-3 / 20) / np.abs(x).max())     # peak -3 dBFS
    x = x + np.random.default_rng(100 + i).standard_normal(len(x)) * 32767 * 10 ** (-75 / 20)
    assert 1.5 <= len(x) / C.SR <= 3.0, (name, len(x) / C.SR)
    C.write_wav(os.path.join(out, name + ".wav"), x)
EOF
cd "$OUT"
SOX="sox -R -V1"
$SOX speech_a.wav -r 8000 -b 16 speech_a_8k.wav
$SOX speech_a.wav -r 44100 -c 2 -b 24 -e signed-integer speech_a_44k_stereo.wav
$SOX speech_a.wav speech_a.flac
if sox -h | grep -q 'vorbis'; then $SOX speech_a.wav -C 3 speech_a.ogg; else echo "sox lacks vorbis: no speech_a.ogg" >&2; fi
$SOX speech_a.wav -e floating-point -b 32 speech_a_float.wav
for f in *.wav *.flac *.ogg; do
  [ -f "$f" ] && printf '%-26s %7d bytes  %s Hz  %s ch  %s s\n' "$f" "$(wc -c < "$f")" "$(soxi -r "$f")" "$(soxi -c "$f")" "$(soxi -D "$f")"
done
