#!/usr/bin/env bash
# Transcription quality of a model's CTC head on the held-out voices of the
# synthetic corpus: character and word error rates of `s2s transcribe` on
# their clean utterances, and on the same utterances through a telephone
# channel (8 kHz mu-law, 300-3400 Hz) with white noise at 15 dB SNR; greedy
# and beam decoding, and beam decoding held to a lexicon (--lexicon, default
# /usr/share/dict/words: 104k words of which the corpus's 6000 are a subset,
# so no word said is out of the lexicon here), with the beam search's rates
# by held-out voice too; and the speed (seconds of audio per second, one
# thread).
#
# usage: scripts/eval-transcribe.sh [CORPUS_DIR (/tmp/s2s-corpus)] [--model FILE] [--beam N]
#                                   [--lexicon FILE] [--lexicon-beam N (64)]
# The corpus is made by scripts/make-corpus.sh (train-default.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=/tmp/s2s-corpus
[ $# -gt 0 ] && [ "${1#--}" = "$1" ] && { corpus=$1; shift; }
model=data/s2s-default.model beam=8 lexicon=/usr/share/dict/words lexicon_beam=64
while [ $# -gt 0 ]; do
    case $1 in
    --model) model=$2; shift 2 ;;
    --beam) beam=$2; shift 2 ;;
    --lexicon) lexicon=$2; shift 2 ;;
    --lexicon-beam) lexicon_beam=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
[ -f "$lexicon" ] || { echo "missing $lexicon: apt-get install -y wamerican" >&2; exit 1; }
scripts/build.sh build >/dev/null
s2s=build/s2s
work=$(mktemp -d /tmp/s2s-transcribe-XXXXXX)
trap 'rm -rf "$work"' EXIT

# Clean utterances (no augmentation) of the held-out voices, and their text (ref.tsv),
cut -f1 "$corpus/words.heldout.tsv" | sort -u > "$work/heldout.files"
# and each one's voice, for the error rates by voice (voices.tsv): espeak-ng's
# held-out variants together, the other engines' voices each alone.
awk -F'\t' -v voices="$work/voices.tsv" 'NR == FNR { held[$1] = 1; next }
    held[$1] && $3 == "none" { print $1 "\t" $4; split($2, part, "-")
        print $1 "\t" (part[1] == "es" ? "espeak-ng" : part[1] "-" part[2]) > voices }' \
    "$work/heldout.files" "$corpus/utterances.tsv" > "$work/ref.tsv"
mkdir -p "$work/clean" "$work/phone"
while IFS=$'\t' read -r file _; do
    ln -s "$(realpath "$corpus/$file")" "$work/clean/$(basename "$file")"
done < "$work/ref.tsv"

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
    for decoding in "beam 1" "beam $beam" "lexicon $lexicon_beam"; do
        set -- $decoding
        options=(--beam "$2")
        [ "$1" = lexicon ] && options+=(--lexicon "$lexicon")
        t0=$(date +%s.%N)
        "$s2s" transcribe -q --model "$model" "${options[@]}" "$work/$condition"/*.wav > "$work/hyp.tsv"
        t1=$(date +%s.%N)
        groups=() # by voice: for the beam search only, which is what s2s uses by default
        [ "$decoding" = "beam $beam" ] && groups=("$work/voices.tsv")
        score=$(/usr/bin/python3 scripts/score-transcripts.py "$work/ref.tsv" "$work/hyp.tsv" "${groups[@]}")
        speed=$(echo "$seconds / ($t1 - $t0)" | bc -l)
        printf '%-6s %-11s %s  %.0fx real time (one thread)\n' "$condition" "$decoding" \
            "$(echo "$score" | head -1)" "$speed"
        echo "$score" | tail -n +2 | sed 's/^/                   /'
    done
done
echo "examples (clean, beam $beam, then with the lexicon):"
for file in $(ls "$work"/clean/*.wav | head -3); do
    printf '  ref: %s\n' "$(grep -F "$(basename "$file")" "$work/ref.tsv" | cut -f2)"
    printf '  hyp: %s\n' "$("$s2s" transcribe -q --model "$model" --beam "$beam" "$file" | cut -f2)"
    printf '  lex: %s\n' "$("$s2s" transcribe -q --model "$model" --beam "$lexicon_beam" --lexicon "$lexicon" "$file" | cut -f2)"
done
