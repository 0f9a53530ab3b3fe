#!/bin/sh
# Make the demo recordings in data/demo/ (committed; rerun to regenerate them identically):
#   12 short sentences (16 kHz mono 16-bit WAV) in different voices, 4 of which say
#   "white house" inside a sentence, 8 similar-sounding distractors without it;
#   white_house.wav, the query, spoken by a voice that no recording uses;
#   truth.tsv (white_house<TAB>doc), truth_times.tsv (white_house<TAB>doc<TAB>start<TAB>end)
#   and recordings.tsv (file, voice, duration, text).
# usage: scripts/make-demo.sh [OUTDIR]   (default data/demo)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../data/demo}
mkdir -p "$OUT"
rm -f "$OUT"/*.wav "$OUT"/truth.tsv "$OUT"/truth_times.tsv "$OUT"/recordings.tsv
"${PYTHON:-/usr/bin/python3}" "$HERE/corpus/demo.py" "$OUT"
ls "$OUT"
du -ch "$OUT"/*.wav | tail -1
