#!/usr/bin/env bash
# Written-phrase queries against spoken ones on the project's evaluation set
# (scripts/make-corpus.sh --eval): indexes the documents with MODEL (which
# must have a CTC head, so transcripts and posteriors are stored; and once
# with --no-transcripts, for the indexing cost), then prints MAP, P@N and
# P@5 of
#   spoken       s2s eval with the recorded queries (the index's vectors),
#   text-post    s2s eval --text with the same terms written, spotted in the
#                stored pruned posteriors (the default),
#   text-trans   the same against the stored transcripts (--text-score
#                transcripts),
#   kws          spotting in the unpruned posteriors, recomputed from the
#                audio (build/s2s-bench-text-kws): what pruning costs,
# each for all queries, single words and phrases, and the cost of each.
# The stored transcripts are decoded as s2s index decodes them by default (with
# the model's character language model, MODEL.lm, when it has one), or with
# --beam N (plus --no-lm: the head alone).
# usage: scripts/eval-text-query.sh MODEL [EVAL_DIR (build/evalset)] [--beam N [--no-lm]]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: scripts/eval-text-query.sh MODEL [EVAL_DIR] [--beam N [--no-lm]]}
eval_dir=${2:-build/evalset}
decoding=() # s2s index's default
[ "${3:-}" = "--beam" ] && decoding=(--beam "$4")
[ "${5:-}" = "--no-lm" ] && decoding+=(--no-lm)
scripts/build.sh build >/dev/null
[ -d "$eval_dir/docs" ] || scripts/make-corpus.sh --eval "$eval_dir"
work=$(mktemp -d /tmp/s2s-eval-text-XXXXXX)
trap 'rm -rf "$work"' EXIT
s2s=build/s2s
mapfile -t queries < <(ls "$eval_dir"/queries/*.wav)
words=(); phrases=()
for q in "${queries[@]}"; do case "$(basename "$q")" in *_*) phrases+=("$q") ;; *) words+=("$q") ;; esac; done
truth="$eval_dir/truth.tsv"

# index_timed LABEL DB ARGS...: indexes the documents, prints wall and CPU time.
index_timed() {
    local label=$1 db=$2; shift 2
    local t0 t1 cpu
    t0=$(date +%s.%N)
    cpu=$( { /usr/bin/time -f '%U %S' "$s2s" index -q -j "$(nproc)" --model "$model" --db "$db" "$@" \
        "$eval_dir"/docs/*.wav; } 2>&1 | tail -1 | awk '{print $1 + $2}')
    t1=$(date +%s.%N)
    minutes=$("$s2s" stats --json --db "$db" | sed 's/.*"hours": \([0-9.]*\),.*/\1/' | awk '{print $1 * 60}')
    printf 'indexing %-28s %.1f s wall (%.0fx real time, %d cores), %.1f s CPU, for %.1f min of audio\n' \
        "$label" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$minutes * 60 / ($t1 - $t0)" | bc -l)" "$(nproc)" \
        "$cpu" "$minutes"
}
index_timed "without transcripts:" "$work/plain.db" --no-transcripts
index_timed "with transcripts (${decoding[*]:-default}):" "$work/eval.db" "${decoding[@]}"

# run KIND [--text] QUERIES...: one line of figures.
run() {
    local kind=$1; shift
    "$s2s" eval -q --db "$work/eval.db" --truth "$truth" "$@" | head -1 | sed "s/^/$kind /"
}
for mode in spoken text-post text-trans; do
    flag=()
    [ "$mode" = text-post ] && flag=(--text --text-score posteriors)
    [ "$mode" = text-trans ] && flag=(--text --text-score transcripts)
    t0=$(date +%s.%N)
    run "$(printf '%-10s %-8s' "$mode" all)" "${flag[@]}" "${queries[@]}"
    t1=$(date +%s.%N)
    run "$(printf '%-10s %-8s' "$mode" words)" "${flag[@]}" "${words[@]}"
    run "$(printf '%-10s %-8s' "$mode" phrases)" "${flag[@]}" "${phrases[@]}"
    printf '%s cost: %.1f ms per query (whole s2s eval run / queries)\n' "$mode" \
        "$(echo "($t1 - $t0) * 1000 / ${#queries[@]}" | bc -l)"
done
python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
h = c.execute("select sum(duration_s) / 3600 from recordings").fetchone()[0]
t, p = c.execute("select (select sum(length(transcript)) from recordings), (select sum(length(data)) from posteriors)").fetchone()
print("stored per hour of audio: transcripts %.3f MB, posteriors %.2f MB" % (t / 1e6 / h, p / 1e6 / h))' "$work/eval.db"
build/s2s-bench-text-kws "$model" "$truth" "$eval_dir"/docs/*.wav
