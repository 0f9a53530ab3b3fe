#!/usr/bin/env bash
# Chooses the character language model's settings for `s2s transcribe --lm`
# on a development corpus's held-out voices: CER and WER of the clean
# utterances for every combination of order, weight and bonus per character
# given, one line each, best CER last. Run it on another corpus than the one
# eval-transcribe.sh reports on (e.g. make-corpus.sh /tmp/s2s-dev --hours 2
# --seed 9), so the settings are not chosen on the test utterances.
#
# usage: scripts/tune-lm.sh CORPUS_DIR TEXT [--model FILE] [--beam N (8)]
#            [--orders "4 6 8"] [--weights "0.3 0.5 0.8"] [--bonuses "0 1 2"]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,11s/^# \{0,1\}//p' "$0" >&2; exit 2; }
corpus=$1 text=$2; shift 2
model=data/s2s-default.model beam=8 orders="4 6 8" weights="0.3 0.5 0.8" bonuses="0 1 2"
while [ $# -gt 0 ]; do
    case $1 in
    --model) model=$2 ;; --beam) beam=$2 ;; --orders) orders=$2 ;;
    --weights) weights=$2 ;; --bonuses) bonuses=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
scripts/build.sh build >/dev/null
work=$(mktemp -d /tmp/s2s-tune-lm-XXXXXX)
trap 'rm -rf "$work"' EXIT
scripts/heldout-utterances.sh "$corpus" "$work"
score() { /usr/bin/python3 scripts/score-transcripts.py "$work/ref.tsv" "$work/hyp.tsv" | head -1; }
echo "model $model, text $text, beam $beam; $(wc -l < "$work/ref.tsv") clean held-out utterances"
build/s2s transcribe -q --model "$model" --no-lm --beam "$beam" "$work"/clean/*.wav > "$work/hyp.tsv"
echo "no model: $(score)"
for order in $orders; do
    for weight in $weights; do
        for bonus in $bonuses; do
            build/s2s transcribe -q --model "$model" --beam "$beam" --lm "$text" --lm-order "$order" \
                --lm-weight "$weight" --lm-bonus "$bonus" "$work"/clean/*.wav > "$work/hyp.tsv"
            echo "order $order weight $weight bonus $bonus: $(score)"
        done
    done
done | tee "$work/runs.txt"
echo "best: $(awk '{ for (i = 1; i < NF; i++) if ($i == "CER") print $(i + 1) "\t" $0 }' \
    "$work/runs.txt" | sort -g | head -1 | cut -f2)"
