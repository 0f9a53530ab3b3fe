#!/usr/bin/env bash
# Transcription quality of a model's CTC head on the held-out voices of the
# synthetic corpus: character and word error rates of `s2s transcribe` on
# their clean utterances, and on the same utterances through a telephone
# channel (8 kHz mu-law, 300-3400 Hz) with white noise at 15 dB SNR; greedy
# and beam decoding, and beam decoding held to a lexicon (--lexicon, default
# /usr/share/dict/words: 104k words of which the corpus's 6000 are a subset,
# so no word said is out of the lexicon here), with the beam search's rates
# by held-out voice too; beam decoding weighed by the model's character
# language model (MODEL.lm, s2s transcribe's default when it exists) or by
# one counted on the text given with --lm, at the default settings; and the
# speed (seconds of audio per second, one thread).
#
# usage: scripts/eval-transcribe.sh [CORPUS_DIR (/tmp/s2s-corpus)] [--model FILE] [--beam N]
#                                   [--lexicon FILE] [--lexicon-beam N (64)] [--lm TEXT]
# The corpus is made by scripts/make-corpus.sh (train-default.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=/tmp/s2s-corpus
[ $# -gt 0 ] && [ "${1#--}" = "$1" ] && { corpus=$1; shift; }
model=data/s2s-default.model beam=8 lexicon=/usr/share/dict/words lexicon_beam=64 lm=
lm_beam=32 # s2s's default with a language model
while [ $# -gt 0 ]; do
    case $1 in
    --model) model=$2; shift 2 ;;
    --beam) beam=$2; shift 2 ;;
    --lexicon) lexicon=$2; shift 2 ;;
    --lexicon-beam) lexicon_beam=$2; shift 2 ;;
    --lm) lm=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
[ -f "$lexicon" ] || { echo "missing $lexicon: apt-get install -y wamerican" >&2; exit 1; }
scripts/build.sh build >/dev/null
s2s=build/s2s
# the model's own language model, as s2s model info names it (empty: none)
own_lm=$("$s2s" model info "$model" | sed -n 's/^ "language_model": "\(.*\)",$/\1/p')
work=$(mktemp -d /tmp/s2s-transcribe-XXXXXX)
trap 'rm -rf "$work"' EXIT

scripts/heldout-utterances.sh "$corpus" "$work"
mkdir -p "$work/phone"

# The telephone copies: band-limited mu-law at 8 kHz, then white noise 15 dB
# below the speech's RMS level.
for f in "$work"/clean/*.wav; do
    name=$(basename "$f")
    sox -R -V1 "$f" -r 8000 -e u-law "$work/phone/tel_$name" sinc 300-3400
    rms=$(sox "$work/phone/tel_$name" -n stat 2>&1 | awk '/RMS +amplitude/ { print $3 }')
    dur=$(soxi -D "$work/phone/tel_$name")
    noise=$(echo "$rms / e(l(10) * 15 / 20)" | bc -l)
    sox -R -V1 -m "$work/phone/tel_$name" \
        <(sox -R -V1 -n -r 8000 -c 1 -b 16 -t wav - synth "$dur" whitenoise vol "$noise" 2>/dev/null) \
        -e signed-integer -b 16 "$work/phone/$name"
    rm "$work/phone/tel_$name"
done

seconds=$(for f in "$work"/clean/*.wav; do soxi -D "$f"; done | awk '{ s += $1 } END { print s }')
echo "model $model; $(wc -l < "$work/ref.tsv") clean held-out utterances, $(printf '%.1f' "$(echo "$seconds / 60" | bc -l)") min"
for condition in clean phone; do
    decodings=("beam 1" "beam $beam" "lexicon $lexicon_beam")
    [ -n "$lm" ] || [ -n "$own_lm" ] && decodings+=("lm $lm_beam")
    for decoding in "${decodings[@]}"; do
        set -- $decoding
        options=(--beam "$2")
        [ "$1" = lexicon ] && options+=(--lexicon "$lexicon")
        if [ "$1" = lm ]; then
            [ -z "$lm" ] || options+=(--lm "$lm")
        else
            options+=(--no-lm)
        fi
        t0=$(date +%s.%N)
        "$s2s" transcribe -q --model "$model" "${options[@]}" "$work/$condition"/*.wav > "$work/hyp.tsv"
        t1=$(date +%s.%N)
        groups=() # by voice: for the beam searches without a word list (s2s's default, and --lm)
        [ "$1" != lexicon ] && [ "$2" != 1 ] && groups=("$work/voices.tsv")
        score=$(/usr/bin/python3 scripts/score-transcripts.py "$work/ref.tsv" "$work/hyp.tsv" "${groups[@]}")
        speed=$(echo "$seconds / ($t1 - $t0)" | bc -l)
        printf '%-6s %-11s %s  %.0fx real time (one thread)\n' "$condition" "$decoding" \
            "$(echo "$score" | head -1)" "$speed"
        echo "$score" | tail -n +2 | sed 's/^/                   /'
    done
done
echo "examples (clean: beam $beam, the lexicon, the language model):"
for file in $(ls "$work"/clean/*.wav | head -3); do
    printf '  ref: %s\n' "$(grep -F "$(basename "$file")" "$work/ref.tsv" | cut -f2)"
    printf '  hyp: %s\n' "$("$s2s" transcribe -q --model "$model" --no-lm --beam "$beam" "$file" | cut -f2)"
    printf '  lex: %s\n' "$("$s2s" transcribe -q --model "$model" --no-lm --beam "$lexicon_beam" --lexicon "$lexicon" "$file" | cut -f2)"
    [ -z "$lm" ] && [ -z "$own_lm" ] ||
        printf '  lm:  %s\n' "$("$s2s" transcribe -q --model "$model" ${lm:+--lm "$lm"} "$file" | cut -f2)"
done
