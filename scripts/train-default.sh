#!/bin/sh
# Trains the default model, data/s2s-default.model, on the synthetic corpus.
#
#   scripts/train-default.sh [--corpus DIR] [--hours H] [--epochs N]
#                            [--correspond-epochs M] [--head-epochs K]
#                            [--vtlp-epochs J] [--more-corpora PREFIX]
#                            [--more-epochs L] [--last-phase N] [--whiten-cap C]
#                            [--contrast-epochs E] [--out FILE]
#
# Makes the corpus with scripts/make-corpus.sh when DIR (default
# /tmp/s2s-corpus, 4 hours, seed 1; about 4 minutes) has no words.train.tsv,
# then trains on the word segments of the training voices only (held-out
# voices are never seen, so measurements on them are fair), in two phases as
# Kamper et al. (2019) did: a plain autoencoder, then the correspondence
# autoencoder started from it (rebuild another speaker's instance of the word):
#
#   s2s train --words DIR/segments.train.tsv --variant plain --decoder-input zero \
#       --hidden 256 --layers 1 --vector-dim 128 --batch 64 --lr 0.001 --clip 5 \
#       --epochs 20 --threads 2 --seed 1 --out FILE.ae
#   s2s train --words DIR/segments.train.tsv --variant correspond --init FILE.ae \
#       --epochs 40 --threads 2 --seed 1 --out FILE.c
# then a CTC head, trained with the correspondence objective going on (the
# CTC loss weighs 0.1 beside rebuilding; the head reads the encoder through a
# backward LSTM of 256 units):
#   s2s train --words DIR/segments.train.tsv --variant correspond \
#       --transcripts DIR/words.train.tsv --ctc-hidden 256 --ctc-weight 0.1 \
#       --init FILE.c --epochs 25 --threads 2 --seed 1 --out FILE.h
# (segments.train.tsv: the training voices' words plus their 2-3 word phrases)
# then the same objective again on more voices made from the same ones,
# each file also read with its mel filters warped by 0.85, 0.92, 1.08 and
# 1.15 (vocal tract length perturbation: --vtlp), in two runs of 6 epochs
# (Adam restarted between them, as they were run):
#   s2s train ... (as phase 3) --vtlp 0.85,0.92,1.08,1.15 --init FILE.h --epochs 6 --out FILE.v
#   s2s train ... (the same) --init FILE.v --epochs 6 --out FILE.w
# and last the same on more corpora, with other sentences and more training
# voices (needs festvox-kdlpc16k), phase n's made by make-corpus.sh
# --more-voices V --seed S in PREFIXn (default /tmp/s2s-corpus-pn): phase 5
# 6 epochs on H hours, S 2, V 7 (46 voices in all); phase 6 the same with S
# 3, V 13 (52 voices); phases 7 to 11 (--last-phase) 3 epochs on 2H
# hours, V 13, S = phase - 3 (4 to 8):
#   s2s train --words PREFIX5/segments.train.tsv ... --transcripts PREFIX5/words.train.tsv \
#       --vtlp 0.85,0.92,1.08,1.15 --lr 0.0005 --init FILE.w --epochs 6 --out FILE.p5
#   s2s train --words PREFIX6/segments.train.tsv ... (the same) --init FILE.p5 --out FILE.p6
#   s2s train --words PREFIX7/segments.train.tsv ... --init FILE.p6 --epochs 3 --out FILE.p7
#   s2s train --words PREFIX8/segments.train.tsv ... --init FILE.p7 --epochs 3 --out FILE.p8
#   ... (phases 9 and 10 the same)
#   s2s train --words PREFIX11/segments.train.tsv ... --init FILE.p10 --epochs 3 --out FILE.p11
# and last, no gradient step: the vector space is evened out on the first
# corpus's training recordings (directions holding more than C = 3 times the
# mean variance scaled down to it, folded into the projection; README,
# Search quality; --whiten-cap 0 skips it):
#   s2s train --variant whiten --whiten-cap 3 --init FILE.p11 --threads 2 \
#       --list (the files of DIR/words.train.tsv) --out FILE.whitened
# then phase 12: E = 3 epochs of the same objective on the first corpus
# (no perturbation) with a contrastive loss beside it (--contrast 1: each
# word's vector must be nearer its partner's than the batch's other
# partners; README, Search quality), from the whitened model, at lr 1e-4,
# and the vector space evened out again on the same recordings (the first
# whitening undone and replaced; --contrast-epochs 0 skips both):
#   s2s train --words DIR/segments.train.tsv --variant correspond \
#       --transcripts DIR/words.train.tsv --ctc-weight 0.1 --contrast 1 \
#       --lr 0.0001 --init FILE.whitened --epochs 3 --out FILE.p12
#   s2s train --variant whiten --whiten-cap 3 --init FILE.p12 ... --out FILE
#
# Why: with the decoder reading the previous target frame (teacher forcing)
# it rebuilds frames from their predecessors and the vector learns next to
# nothing (same-different AP 0.016 on held-out voices, 1-hour corpus, 8
# epochs); a decoder reading zeros must take everything from the vector (0.09
# after 8 epochs, 0.13 after 40); 10 correspondence epochs on top give 0.15,
# and double the AP over pairs of different speakers (0.018 -> 0.038).
# Size: 748k weights (3.0 MB) for the autoencoder, 1.28M with the head (4.9 MiB).
# Time on this 2-core machine with 2 threads: phases 1 and 2 run at ~33k
# (plain) and ~27k (correspond) frames/s over the ~0.95M training word
# frames, so about 20 + 9 minutes, plus the corpus; phase 3 took 35 min (25
# epochs of 2.2M frames, whole utterances included, at ~25k frames/s in
# bf16, beside another training run); phase 4 2 x 24 min (6 epochs of 5 x
# 2.2M frames at ~45k frames/s, each); phase 5 31 min (6 epochs of 5 x 2.3M
# frames at ~34k frames/s, beside evaluation runs), phase 6 35 min (5 x 2.4M
# frames), phases 7 to 11 38-42 min each (3 epochs of 5 x 4.76M frames,
# ~30k frames/s; from phase 8 beside other work).  Each phase
# checkpoints every epoch: Ctrl-C and rerun to resume.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
CORPUS=/tmp/s2s-corpus HOURS=4 EPOCHS=20 CEPOCHS=40 HEPOCHS=25 VEPOCHS=6 OUT="$ROOT/data/s2s-default.model"
MORE_CORPORA=/tmp/s2s-corpus-p MEPOCHS=6 LAST_PHASE=11 WHITEN_CAP=3 CONTRAST_EPOCHS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --corpus) CORPUS=$2; shift ;;
    --hours) HOURS=$2; shift ;;
    --epochs) EPOCHS=$2; shift ;;
    --correspond-epochs) CEPOCHS=$2; shift ;;
    --head-epochs) HEPOCHS=$2; shift ;;
    --vtlp-epochs) VEPOCHS=$2; shift ;;
    --more-corpora) MORE_CORPORA=$2; shift ;;
    --more-epochs) MEPOCHS=$2; shift ;;
    --last-phase) LAST_PHASE=$2; shift ;;
    --whiten-cap) WHITEN_CAP=$2; shift ;;
    --contrast-epochs) CONTRAST_EPOCHS=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$LAST_PHASE" -ge 6 ] 2>/dev/null || { echo "--last-phase must be a number, 6 or more" >&2; exit 2; }
S2S=${S2S:-$ROOT/build/s2s}
if [ ! -x "$S2S" ]; then
  cmake -S "$ROOT" -B "$ROOT/build" >/dev/null && cmake --build "$ROOT/build" -j2 >/dev/null
fi
if [ ! -f "$CORPUS/words.train.tsv" ]; then
  echo "making the corpus in $CORPUS ($HOURS h)" >&2
  "$HERE/make-corpus.sh" "$CORPUS" --hours "$HOURS" --seed 1
fi
# Training segments of a corpus, into DIR/segments.train.tsv: the words of
# the training voices and the 2-3 word phrases of the same recordings
# (queries are words and short phrases).
make_segments() {
  segments="$1/segments.train.tsv"
  cut -f1 "$1/words.train.tsv" | sort -u > "$segments.files"
  awk -F'\t' 'NR == FNR { train[$1] = 1; next } train[$1]' "$segments.files" "$1/phrases.tsv" \
      | cat "$1/words.train.tsv" - > "$segments"
  rm -f "$segments.files"
}
make_segments "$CORPUS"
segments="$CORPUS/segments.train.tsv"
start=$(date +%s)
CTC="--transcripts $CORPUS/words.train.tsv --ctc-weight 0.1" # phases 3 and 4
SHARED="--batch 64 --clip 5 --threads 2 --seed 1 --progress 200" # every phase
COMMON="--words $segments $SHARED --lr 0.001"                    # phases 1-4
echo "phase 1: plain autoencoder, $EPOCHS epochs" >&2
"$S2S" train $COMMON --variant plain --decoder-input zero --hidden 256 --layers 1 \
    --vector-dim 128 --epochs "$EPOCHS" --out "$OUT.ae"
if [ "$CEPOCHS" -gt 0 ]; then
  echo "phase 2: correspondence autoencoder, $CEPOCHS epochs" >&2
  "$S2S" train $COMMON --variant correspond --init "$OUT.ae" --epochs "$CEPOCHS" --out "$OUT.c"
  rm -f "$OUT.ae"
else
  mv "$OUT.ae" "$OUT.c"
fi
if [ "$HEPOCHS" -gt 0 ]; then
  # The head learns on whole utterances of the training voices (their word
  # times joined) and on the word and phrase segments, while the encoder
  # goes on learning to rebuild other speakers' words: at a CTC weight of
  # 0.1 spelling helps the vectors instead of pulling them away from
  # rebuilding (README, Transcription: MAP, AP and CER all improve).
  echo "phase 3: CTC head, trained jointly (weight 0.1), $HEPOCHS epochs" >&2
  "$S2S" train $COMMON --variant correspond $CTC \
      --ctc-hidden 256 --init "$OUT.c" --epochs "$HEPOCHS" --out "$OUT.h"
  rm -f "$OUT.c"
else
  mv "$OUT.c" "$OUT.h"
fi
if [ "$VEPOCHS" -gt 0 ]; then
  # Every training file five times: as recorded, and with its mel filters
  # warped by 0.85, 0.92, 1.08 and 1.15, as a longer or shorter vocal tract
  # would move its formants: 5 x 39 voices for both objectives (README,
  # Transcription: spoken MAP, same-different AP and CER all improve against
  # 6 more epochs without it, more with 4 factors than with 0.9,1.1, and
  # more again with a second run of 6 epochs).
  echo "phase 4: the same with vocal tract length perturbation, 2 x $VEPOCHS epochs" >&2
  "$S2S" model info "$OUT.h" | grep -q '"ctc_head": true' || CTC= # phase 3 skipped: no head
  VTLP="$COMMON --variant correspond $CTC --vtlp 0.85,0.92,1.08,1.15 --epochs $VEPOCHS"
  "$S2S" train $VTLP --init "$OUT.h" --out "$OUT.v"
  rm -f "$OUT.h"
  "$S2S" train $VTLP --init "$OUT.v" --out "$OUT.w"
  rm -f "$OUT.v"
else
  mv "$OUT.h" "$OUT.w"
fi
# Phases 5 on: other sentences (and voices), not more epochs, are what the
# held-out voices need (README, Transcription: CER, spoken MAP and AP all
# improve with each new corpus): the same objective on a new corpus each.
#   new_corpus PHASE SEED VOICES HOURS EPOCHS INIT OUT   (corpus in PREFIXn)
new_corpus() {
  dir="$MORE_CORPORA$1"
  if [ ! -f "$dir/words.train.tsv" ]; then
    echo "making the corpus with $3 more voices in $dir ($4 h)" >&2
    "$HERE/make-corpus.sh" "$dir" --hours "$4" --seed "$2" --more-voices "$3"
  fi
  make_segments "$dir"
  echo "phase $1: the same on a new corpus ($3 more voices), $5 epochs" >&2
  "$S2S" model info "$6" | grep -q '"ctc_head": true' &&
    CTC="--transcripts $dir/words.train.tsv --ctc-weight 0.1" || CTC=
  "$S2S" train --words "$dir/segments.train.tsv" $SHARED --lr 0.0005 --variant correspond \
      $CTC --vtlp 0.85,0.92,1.08,1.15 --epochs "$5" --init "$6" --out "$7"
  rm -f "$6"
}
if [ "$MEPOCHS" -gt 0 ]; then
  new_corpus 5 2 7 "$HOURS" "$MEPOCHS" "$OUT.w" "$OUT.p5"
  new_corpus 6 3 13 "$HOURS" "$MEPOCHS" "$OUT.p5" "$OUT.p6"
  # from phase 7: half the epochs on twice the audio (more sentences, same
  # time), the corpus of phase n made with seed n - 3
  phase=7
  while [ "$phase" -le "$LAST_PHASE" ]; do
    new_corpus "$phase" $((phase - 3)) 13 $((2 * HOURS)) $((MEPOCHS / 2)) \
        "$OUT.p$((phase - 1))" "$OUT.p$phase"
    phase=$((phase + 1))
  done
  mv "$OUT.p$LAST_PHASE" "$OUT.trained"
else
  mv "$OUT.w" "$OUT.trained"
fi
# whiten IN OUT: the vector space of IN evened out on the first corpus's
# training recordings
whiten() {
  cut -f1 "$CORPUS/words.train.tsv" | sort -u | sed "s|^|$CORPUS/|" > "$OUT.files"
  "$S2S" train --variant whiten --whiten-cap "$WHITEN_CAP" --init "$1" --threads 2 \
      --list "$OUT.files" --out "$2"
  rm -f "$1" "$OUT.files"
}
if [ "$WHITEN_CAP" != 0 ]; then
  echo "the vector space evened out on the training recordings (cap $WHITEN_CAP)" >&2
  whiten "$OUT.trained" "$OUT.whitened"
else
  mv "$OUT.trained" "$OUT.whitened"
fi
if [ "$CONTRAST_EPOCHS" -gt 0 ]; then
  echo "phase 12: the same with a contrastive loss, $CONTRAST_EPOCHS epochs" >&2
  "$S2S" train --words "$segments" $SHARED --lr 0.0001 --variant correspond \
      --transcripts "$CORPUS/words.train.tsv" --ctc-weight 0.1 --contrast 1 \
      --epochs "$CONTRAST_EPOCHS" --init "$OUT.whitened" --out "$OUT.p12"
  rm -f "$OUT.whitened"
  if [ "$WHITEN_CAP" != 0 ]; then
    echo "last: the vector space evened out again (cap $WHITEN_CAP)" >&2
    whiten "$OUT.p12" "$OUT"
  else
    mv "$OUT.p12" "$OUT"
  fi
else
  mv "$OUT.whitened" "$OUT"
fi
echo "trained $OUT in $(( $(date +%s) - start )) s" >&2
"$S2S" model info "$OUT" | head -2 >&2
