#!/usr/bin/env bash
# Transcription speed of `s2s transcribe` on one thread: a 10-minute recording
# made of the demo recordings joined end to end (sox), decoded greedily and
# with the prefix beam search, without and with a lexicon
# (/usr/share/dict/words, beam 64), and as by default with the model's
# character language model (MODEL.lm, beam 32, loading it included; skipped
# when the model has none); prints seconds of audio per second of wall
# time (the target is 100x real time) and where the time goes (features
# alone, via `s2s features`).
#
# usage: scripts/bench-transcribe.sh [--model FILE (data/s2s-default.model)] [--minutes N (10)]
set -euo pipefail
cd "$(dirname "$0")/.."
model=data/s2s-default.model minutes=10
while [ $# -gt 0 ]; do
    case $1 in
    --model) model=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
[ -f /usr/share/dict/words ] || { echo "missing /usr/share/dict/words: apt-get install -y wamerican" >&2; exit 1; }
scripts/build.sh build >/dev/null
s2s=build/s2s
# the model's own language model, as s2s model info names it (empty: none)
own_lm=$("$s2s" model info "$model" | sed -n 's/^ "language_model": "\(.*\)",$/\1/p')
work=$(mktemp -d /tmp/s2s-bench-transcribe-XXXXXX)
trap 'rm -rf "$work"' EXIT

# Demo recordings repeated until the wanted length, with half a second of
# silence between them (so the VAD cuts the speech as it would in a meeting).
sox -n -r 16000 -c 1 -b 16 "$work/gap.wav" trim 0 0.5
parts=()
total=0
while [ "$(echo "$total < $minutes * 60" | bc)" = 1 ]; do
    for f in data/demo/*.wav; do
        parts+=("$f" "$work/gap.wav")
        total=$(echo "$total + $(soxi -D "$f") + 0.5" | bc -l)
    done
done
sox "${parts[@]}" -r 16000 -c 1 -b 16 "$work/long.wav"
seconds=$(soxi -D "$work/long.wav")
printf 'audio: %.1f min (%d pieces of the demo recordings)\n' "$(echo "$seconds / 60" | bc -l)" $((${#parts[@]} / 2))

# Wall time, and CPU time (user + system), which the other jobs of a shared
# machine inflate less: the process runs on one thread.
time_of() { # prints "wall cpu" seconds of the command
    local TIMEFORMAT='%R %U %S' t
    t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
    echo "$t" | awk '{ print $1, $2 + $3 }'
}
rate() { echo "$seconds / $1" | bc -l; }
for run in 1 2; do
    read -r fw fc < <(time_of "$s2s" features "$work/long.wav")
    read -r gw gc < <(time_of "$s2s" transcribe --model "$model" --no-lm --beam 1 "$work/long.wav")
    read -r bw bc_ < <(time_of "$s2s" transcribe --model "$model" --no-lm --beam 8 "$work/long.wav")
    read -r lw lc < <(time_of "$s2s" transcribe --model "$model" --no-lm --beam 64 --lexicon /usr/share/dict/words "$work/long.wav")
    printf 'run %d, x real time by wall (CPU) time: features only %.0fx (%.0fx); transcribe greedy %.0fx (%.0fx), beam 8 %.0fx (%.0fx), lexicon beam 64 %.0fx (%.0fx)' \
        "$run" "$(rate "$fw")" "$(rate "$fc")" "$(rate "$gw")" "$(rate "$gc")" "$(rate "$bw")" "$(rate "$bc_")" "$(rate "$lw")" "$(rate "$lc")"
    if [ -n "$own_lm" ]; then
        read -r mw mc < <(time_of "$s2s" transcribe --model "$model" "$work/long.wav")
        printf ', language model (default) %.0fx (%.0fx)' "$(rate "$mw")" "$(rate "$mc")"
    fi
    echo
done
