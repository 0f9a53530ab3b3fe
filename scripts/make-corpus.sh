#!/bin/sh
# Make s2s's synthetic multi-speaker English speech corpus (or, with --eval, its
# evaluation set), with exact word times, reproducibly.
#
#   scripts/make-corpus.sh OUTDIR [--hours H] [--seed N] [--aug F] [--jobs J] [--more-voices V]
#   scripts/make-corpus.sh --eval OUTDIR [--seed N] [--docs D] [--word-queries W]
#                          [--phrase-queries P] [--aug F] [--jobs J] [--lang L]
#   scripts/make-corpus.sh --continuous N OUTDIR [--seed S] [--heldout] [--more-voices V]
#
# --continuous N: N sentences of the corpus's kind, each synthesised whole, so
# that its words run together as in real speech (the corpus proper joins words
# synthesised one by one, which gives its word times): to train and measure
# transcription of continuous speech. No word times: OUTDIR/wav/cNNNNNN_SPEAKER.wav
# and OUTDIR/transcripts.tsv (wav/FILE<TAB>text, for s2s train --transcripts and
# scripts/score-transcripts.py). Training voices, or with --heldout the held-out ones.
#
# --lang de|es (default en): words from Debian's word list of that language
# (wngerman / wspanish) spoken by espeak-ng's voice for it in its 17 variants
# (all "held out"); flite and festival speak English only and are not used.
#
# --more-voices V: V more training voices (up to 13: festival's ked_diphone, flite's and
# festival's voices at other pitches and tempos; the first V of scripts/corpus/s2scorpus.py
# MORE_VOICES, so a corpus made with V stays the same); held-out voices unchanged.
#
# Corpus (default --hours 0.2 --seed 1 --aug 0.3):
#   OUTDIR/wav/*.wav          16 kHz mono 16-bit, one sentence of 4-12 words each
#   OUTDIR/words.tsv          file<TAB>start<TAB>end<TAB>word   (seconds; file relative to OUTDIR)
#   OUTDIR/words.train.tsv, words.heldout.tsv   the same split by the speaker's split
#   OUTDIR/phrases.tsv        the same for the 2-3 word phrases inside the sentences
#   OUTDIR/utterances.tsv     file<TAB>speaker<TAB>augmentation<TAB>text
#   OUTDIR/speakers.tsv       speaker engine voice pitch rate stretch split (train|heldout)
#   OUTDIR/cache/             one trimmed synthesis per (speaker, word), reused by reruns
# Default training corpus (4 h of audio, ~4 min on 2 cores; see scripts/corpus/README.md):
#   scripts/make-corpus.sh /tmp/s2s-corpus --hours 4 --seed 1
#
# Evaluation set (held-out speakers only; default --docs 60 --word-queries 30
# --phrase-queries 20 --aug 0.25 --seed 101):
#   OUTDIR/docs/docNNN.wav    recordings of 2-4 sentences (~10-30 s)
#   OUTDIR/queries/TERM.wav   a word or 2-3 word phrase (words joined by _), spoken by a
#                             held-out voice of another family than every document holding it
#   OUTDIR/truth.tsv          query<TAB>doc     OUTDIR/truth_times.tsv  query<TAB>doc<TAB>start<TAB>end
#   OUTDIR/words.tsv, utterances.tsv, queries.tsv, speakers.tsv
# Score with ../shared/peers: dtw_qbe.py OUTDIR > run.tsv; qbe_score.py OUTDIR/truth.tsv run.tsv
set -eu
PY=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)
TOOL="$HERE/corpus/s2scorpus.py"

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 2; }  # the header above
MODE=corpus SPLIT=train SENTENCES=0 MORE_VOICES=0 OUT= LANG_CODE=en HOURS=0.2 SEED= AUG= JOBS=2 DOCS=60 WQ=30 PQ=20
while [ $# -gt 0 ]; do
  case "$1" in
    --eval) MODE=eval ;;
    --continuous) MODE=continuous SENTENCES=$2; shift ;;
    --heldout) SPLIT=heldout ;;
    --more-voices) MORE_VOICES=$2; shift ;;
    --hours) HOURS=$2; shift ;;
    --seed) SEED=$2; shift ;;
    --aug) AUG=$2; shift ;;
    --lang) LANG_CODE=$2; shift ;;
    --jobs) JOBS=$2; shift ;;
    --docs) DOCS=$2; shift ;;
    --word-queries) WQ=$2; shift ;;
    --phrase-queries) PQ=$2; shift ;;
    -h|--help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) [ -z "$OUT" ] || usage; OUT=$1 ;;
  esac
  shift
done
[ -n "$OUT" ] || usage
[ "$JOBS" -le 2 ] || JOBS=2          # the machine is shared: at most 2 processes
for t in espeak-ng flite sox festival text2wave; do
  command -v $t >/dev/null || { echo "missing $t: apt-get install -y espeak-ng flite sox festival festvox-kallpc16k festvox-us-slt-hts" >&2; exit 1; }
done
case "$MORE_VOICES" in [0-9]|1[0-3]) ;; *) echo "--more-voices: 0 to 13, not $MORE_VOICES" >&2; exit 2 ;; esac
[ $MORE_VOICES = 0 ] || [ $LANG_CODE = en ] || { echo "--more-voices: English only" >&2; exit 2; }
[ "$MORE_VOICES" -lt 6 ] || [ -d /usr/share/festival/voices/english/ked_diphone ] ||
  { echo "--more-voices: missing festival's ked_diphone voice: apt-get install -y festvox-kdlpc16k" >&2; exit 1; }
case "$LANG_CODE" in
  en) [ -f /usr/share/dict/words ] || { echo "missing /usr/share/dict/words: apt-get install -y wamerican" >&2; exit 1; } ;;
  de) [ -f /usr/share/dict/ngerman ] || { echo "missing /usr/share/dict/ngerman: apt-get install -y wngerman" >&2; exit 1; } ;;
  es) [ -f /usr/share/dict/spanish ] || { echo "missing /usr/share/dict/spanish: apt-get install -y wspanish" >&2; exit 1; } ;;
  *) echo "--lang: en, de or es, not $LANG_CODE" >&2; exit 2 ;;
esac
export S2S_CORPUS_LANG=$LANG_CODE S2S_CORPUS_MORE_VOICES=$MORE_VOICES
"$PY" -c 'import numpy' 2>/dev/null || { echo "$PY lacks numpy: apt-get install -y python3-numpy" >&2; exit 1; }

mkdir -p "$OUT"
if [ $MODE = continuous ]; then
  exec "$PY" "$TOOL" continuous "$OUT" "$SENTENCES" "${SEED:-1}" "$SPLIT"
fi
start=$(date +%s)
# a rerun into the same OUTDIR replaces the audio but keeps the synthesis cache
rm -rf "$OUT/wav" "$OUT/docs" "$OUT/queries" "$OUT"/built.*.jsonl "$OUT"/jobs.part.*
if [ $MODE = corpus ]; then
  "$PY" "$TOOL" plan-corpus "$OUT" "$HOURS" "${SEED:-1}" "${AUG:-0.3}"
else
  "$PY" "$TOOL" plan-eval "$OUT" "${SEED:-101}" "$DOCS" "$WQ" "$PQ" "${AUG:-0.25}"
fi
# synthesise every (speaker, word) not yet cached, in 4 round-robin parts, $JOBS at a time
split -n r/4 "$OUT/jobs.tsv" "$OUT/jobs.part."
ls "$OUT"/jobs.part.* | xargs -P "$JOBS" -n 1 "$PY" "$TOOL" synth "$OUT"
t1=$(date +%s)
echo "synthesis: $((t1 - start)) s" >&2
i=0; while [ $i -lt "$JOBS" ]; do echo $i; i=$((i + 1)); done |
  xargs -P "$JOBS" -I{} "$PY" "$TOOL" build "$OUT" {} "$JOBS"
"$PY" "$TOOL" finish "$OUT"
rm -f "$OUT"/jobs.part.*
end=$(date +%s)
echo "done in $((end - start)) s (synthesis $((t1 - start)) s); $(du -sh "$OUT" | cut -f1) in $OUT" >&2
