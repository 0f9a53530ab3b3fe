#!/usr/bin/env bash
# Query-by-example quality on the project's evaluation set (held-out voices,
# queries spoken by another voice than the recordings; made by
# scripts/make-corpus.sh --eval when missing): MAP, P@N and P@5 of s2s and,
# when Debian's python3-torchaudio is installed, of the frame-level DTW peer
# (../shared/peers/dtw_qbe.py) on the same set, with each one's cost per query.
# usage: scripts/eval-qbe.sh [EVAL_DIR (build/evalset)] [--model FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
eval_dir=${1:-build/evalset}
model_args=()
[ "${2:-}" = "--model" ] && model_args=(--model "$3")
scripts/build.sh build >/dev/null
[ -d "$eval_dir/docs" ] || scripts/make-corpus.sh --eval "$eval_dir"
work=$(mktemp -d /tmp/s2s-eval-XXXXXX)
trap 'rm -rf "$work"' EXIT
s2s=build/s2s
mapfile -t queries < <(ls "$eval_dir"/queries/*.wav)
words=(); phrases=()
for q in "${queries[@]}"; do case "$(basename "$q")" in *_*) phrases+=("$q") ;; *) words+=("$q") ;; esac; done

"$s2s" index -q "${model_args[@]}" --db "$work/eval.db" "$eval_dir"/docs/*.wav
t0=$(date +%s.%N)
truth="$eval_dir/truth.tsv"
[ -f "$eval_dir/truth_times.tsv" ] && truth="$eval_dir/truth_times.tsv"  # adds hit-level figures
all=$("$s2s" eval -q --db "$work/eval.db" --truth "$truth" --run "$work/s2s.tsv" "${queries[@]}")
t1=$(date +%s.%N)
w=$("$s2s" eval -q --db "$work/eval.db" --truth "$eval_dir/truth.tsv" "${words[@]}")
p=$("$s2s" eval -q --db "$work/eval.db" --truth "$eval_dir/truth.tsv" "${phrases[@]}")
s2s_ms=$(echo "($t1 - $t0) * 1000 / ${#queries[@]}" | bc -l)
minutes=$("$s2s" stats --json --db "$work/eval.db" | sed 's/.*"hours": \([0-9.]*\),.*/\1/' | awk '{print $1 * 60}')

printf '%-8s %-10s %s\n' system queries figures
printf '%-8s %-10s %s\n' s2s all "$(echo "$all" | head -1)" s2s words "$w" s2s phrases "$p"
echo "$all" | sed -n '2p' | sed 's/^/s2s      /'
printf 's2s cost: %.1f ms per query over %.1f min of audio (%.2f ms per query per minute)\n' \
    "$s2s_ms" "$minutes" "$(echo "$s2s_ms / $minutes" | bc -l)"
if /usr/bin/python3 -c 'import torchaudio' 2>/dev/null && [ -f ../shared/peers/dtw_qbe.py ]; then
    gcc -O3 -march=native -shared -fPIC -o "$work/libdtw.so" ../shared/peers/dtw.c
    DTW_LIB="$work/libdtw.so" /usr/bin/python3 ../shared/peers/dtw_qbe.py "$eval_dir" > "$work/dtw.tsv" 2> "$work/dtw.err"
    printf '%-8s %-10s %s\n' DTW all "$(/usr/bin/python3 ../shared/peers/qbe_score.py "$eval_dir/truth.tsv" "$work/dtw.tsv")"
    awk -F'\t' '$1 !~ /_/' "$eval_dir/truth.tsv" > "$work/truth_words.tsv"
    awk -F'\t' '$1 ~ /_/' "$eval_dir/truth.tsv" > "$work/truth_phrases.tsv"
    printf '%-8s %-10s %s\n' DTW words "$(/usr/bin/python3 ../shared/peers/qbe_score.py "$work/truth_words.tsv" "$work/dtw.tsv")"
    printf '%-8s %-10s %s\n' DTW phrases "$(/usr/bin/python3 ../shared/peers/qbe_score.py "$work/truth_phrases.tsv" "$work/dtw.tsv")"
    echo "s2s run scored by the peer's scorer: $(/usr/bin/python3 ../shared/peers/qbe_score.py "$eval_dir/truth.tsv" "$work/s2s.tsv")"
    echo "DTW cost: $(cat "$work/dtw.err")"
fi
