#!/bin/sh
# Sentences of the synthetic corpus's kind, each synthesised whole, so that
# its words run together as in real speech (the corpus proper joins words
# synthesised one by one, which gives its word times): to train and measure
# transcription of continuous speech. No word times; a transcript per file.
#
#   scripts/make-continuous.sh OUTDIR [--sentences N (1000)] [--seed S (1)]
#                              [--heldout] [--more-voices V (0)]
#
# OUTDIR/wav/cNNNNNN_SPEAKER.wav (16 kHz mono), OUTDIR/transcripts.tsv
# (wav/FILE<TAB>text, for s2s train --transcripts and scripts/score-transcripts.py),
# OUTDIR/speakers.tsv. --heldout: the held-out voices (as make-corpus.sh
# --eval uses) instead of the training voices; --more-voices as make-corpus.sh.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 2; }
OUT= N=1000 SEED=1 SPLIT=train MORE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --sentences) N=$2; shift ;;
    --seed) SEED=$2; shift ;;
    --heldout) SPLIT=heldout ;;
    --more-voices) MORE=$2; shift ;;
    -h|--help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) [ -z "$OUT" ] || usage; OUT=$1 ;;
  esac
  shift
done
[ -n "$OUT" ] || usage
for t in espeak-ng flite sox festival; do
  command -v $t >/dev/null || { echo "missing $t: apt-get install -y espeak-ng flite sox festival festvox-kallpc16k festvox-us-slt-hts festvox-kdlpc16k" >&2; exit 1; }
done
S2S_CORPUS_MORE_VOICES=$MORE /usr/bin/python3 "$HERE/corpus/s2scorpus.py" continuous "$OUT" "$N" "$SEED" "$SPLIT"
