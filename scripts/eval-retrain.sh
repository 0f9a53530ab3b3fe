#!/usr/bin/env bash
# Does retraining on an index's own audio, without labels, improve search?
# For three sets unlike the default model's training data, indexes the
# documents with the default model, scores the queries (MAP, P@N, P@5 with
# `s2s eval`), runs `s2s retrain` on the index (training + re-embedding,
# timed) and scores again:
#   English: held-out synthetic voices (scripts/make-corpus.sh --eval)
#   telephone: the same documents through 8 kHz mu-law 300-3400 Hz with white
#              noise at 15 dB SNR (scripts/make-telephone.sh); queries clean
#   German: espeak-ng's German voices (scripts/make-corpus.sh --eval --lang de)
# Sets are made under build/ when missing (or named by EVAL_EN, EVAL_TEL,
# EVAL_DE).  Extra arguments go to `s2s retrain` (e.g. --variant plain).
# EXTRA_EN, EXTRA_TEL, EXTRA_DE name sets whose docs/*.wav are also trained
# on, not indexed (more of the user's audio of the same kind: does retraining
# gain with more audio?); the time per hour then counts them too.
# The change column is MAP after minus before with its 95% interval over the
# queries (scripts/map-change.py: a paired bootstrap).  EVAL_KEEP=DIR keeps
# the per-query scores there (SET-before.txt, SET-after-TAG.txt with TAG =
# EVAL_TAG, default "after") to pool draws and seeds with map-change.py.
# usage: scripts/eval-retrain.sh [RETRAIN OPTIONS...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh build >/dev/null
s2s=$PWD/build/s2s
en=${EVAL_EN:-build/evalset}
tel=${EVAL_TEL:-build/evalset-tel}
de=${EVAL_DE:-build/evalset-de}
[ -d "$en/docs" ] || scripts/make-corpus.sh --eval "$en"
[ -d "$tel/docs" ] || scripts/make-telephone.sh "$en" "$tel" 15
[ -d "$de/docs" ] || scripts/make-corpus.sh --eval "$de" --lang de
work=$(mktemp -d /tmp/s2s-retrain-XXXXXX)
trap 'rm -rf "$work"' EXIT
keep=${EVAL_KEEP:-$work}
mkdir -p "$keep"
printf '| set | MAP before | MAP after | change (95%% interval) | P@N before | P@N after | retrain + reindex | per hour of audio |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- |\n'
for set in "English, held-out voices|$en|${EXTRA_EN:-}" \
           "telephone band + noise 15 dB|$tel|${EXTRA_TEL:-}" "German|$de|${EXTRA_DE:-}"; do
    IFS='|' read -r name dir extra_dir <<< "$set"
    extra=()
    [ -n "$extra_dir" ] && extra=("$extra_dir"/docs/*.wav)
    db="$work/$(basename "$dir").db"
    "$s2s" index -q --db "$db" "$dir"/docs/*.wav
    per_query="$keep/$(basename "$dir")"
    "$s2s" eval -q -v --db "$db" --truth "$dir/truth.tsv" "$dir"/queries/*.wav > "$per_query-before.txt"
    before=$(tail -n 1 "$per_query-before.txt")
    t0=$(date +%s.%N)
    "$s2s" retrain -q --db "$db" --out "$work/$(basename "$dir").model" --threads 2 "$@" "${extra[@]}"
    t1=$(date +%s.%N)
    "$s2s" eval -q -v --db "$db" --truth "$dir/truth.tsv" "$dir"/queries/*.wav \
        > "$per_query-after-${EVAL_TAG:-after}.txt"
    after=$(tail -n 1 "$per_query-after-${EVAL_TAG:-after}.txt")
    change=$(scripts/map-change.py "$per_query-before.txt" "$per_query-after-${EVAL_TAG:-after}.txt" |
             sed 's/.*change \([^ ]*\)  95% interval \(\[[^]]*\]\).*/\1 \2/')
    hours=$("$s2s" stats --json --db "$db" | sed 's/.*"hours": \([0-9.]*\),.*/\1/')
    if [ ${#extra[@]} -gt 0 ]; then
        extra_hours=$(soxi -D "${extra[@]}" | awk '{ s += $1 } END { printf "%.4f", s / 3600 }')
        name="$name, + $(echo "$extra_hours * 60" | bc | cut -d. -f1) min not indexed"
        hours=$(echo "$hours + $extra_hours" | bc -l)
    fi
    field() { echo "$1" | sed "s/.*$2=\([0-9.]*\).*/\1/"; }
    printf '| %s | %s | %s | %s | %s | %s | %.0f s for %.1f min | %.0f s |\n' "$name" \
        "$(field "$before" MAP)" "$(field "$after" MAP)" "$change" "$(field "$before" 'P@N')" \
        "$(field "$after" 'P@N')" "$(echo "$t1 - $t0" | bc)" "$(echo "$hours * 60" | bc)" \
        "$(echo "($t1 - $t0) / $hours" | bc -l)"
done
