#!/usr/bin/env bash
# Indexing and search speed and size (a benchmark, not a test).
#  1. indexing speed on all cores, in multiples of real time, and index size
#     per hour of audio, on the evaluation set's documents (made by
#     scripts/make-corpus.sh --eval when missing); the same without the
#     model's language model and without transcripts;
#  2. real queries against that index (encoding included), per query and per
#     indexed hour, beside the DTW peer (../shared/peers/dtw_qbe.py) on the
#     same audio when torchaudio is installed;
#  3. search time against index size with synthetic vectors at 10 thousand,
#     100 thousand, 1 million and 10 million segments, with peak memory.
# usage: scripts/bench-index.sh [EVAL_DIR (build/evalset)] [--max-segments N]
set -euo pipefail
cd "$(dirname "$0")/.."
eval_dir=${1:-build/evalset}
max_segments=10000000
[ "${2:-}" = "--max-segments" ] && max_segments=$3
scripts/build.sh build >/dev/null
s2s=build/s2s
[ -d "$eval_dir/docs" ] || scripts/make-corpus.sh --eval "$eval_dir"
work=$(mktemp -d /tmp/s2s-bench-index-XXXXXX)
trap 'rm -rf "$work"' EXIT
model=${S2S_MODEL:-data/s2s-default.model}
dim=$("$s2s" model info "$model" 2>/dev/null | sed -n 's/.*"vector_dim": \([0-9]*\).*/\1/p')
dim=${dim:-128}

echo "== 1. indexing $(ls "$eval_dir"/docs/*.wav | wc -l) recordings on $(nproc) cores"
"$s2s" index --db "$work/eval.db" "$eval_dir"/docs/*.wav 2>&1 | tail -1
"$s2s" stats --db "$work/eval.db" | sed -n '1,4p'
# what the stored transcripts cost: decoded without the model's language
# model, and not at all
for option in --no-lm --no-transcripts; do
    echo "with $option: $("$s2s" index --db "$work/eval$option.db" $option "$eval_dir"/docs/*.wav 2>&1 | tail -1)"
done

echo
echo "== 2. real queries (encoding included)"
mapfile -t queries < <(ls "$eval_dir"/queries/*.wav)
audio_h=$("$s2s" stats --json --db "$work/eval.db" | sed 's/.*"hours": \([0-9.]*\),.*/\1/')
t0=$(date +%s.%N)
"$s2s" query -q --db "$work/eval.db" --tsv "${queries[@]}" > /dev/null
t1=$(date +%s.%N)
s2s_ms=$(echo "($t1 - $t0) * 1000 / ${#queries[@]}" | bc -l)
printf 's2s: %d queries, %.1f ms per query (process start and index load shared), %.2f ms per query per indexed hour\n' \
    "${#queries[@]}" "$s2s_ms" "$(echo "$s2s_ms / $audio_h" | bc -l)"
if /usr/bin/python3 -c 'import torchaudio' 2>/dev/null && [ -f ../shared/peers/dtw_qbe.py ]; then
    gcc -O3 -march=native -shared -fPIC -o "$work/libdtw.so" ../shared/peers/dtw.c
    DTW_LIB="$work/libdtw.so" /usr/bin/python3 ../shared/peers/dtw_qbe.py "$eval_dir" > "$work/dtw.tsv" 2> "$work/dtw.err"
    cat "$work/dtw.err"
    dtw_ms=$(sed -n 's/.* = \([0-9.]*\) ms\/query.*/\1/p' "$work/dtw.err")
    printf 'DTW / s2s cost per query: %.0fx\n' "$(echo "$dtw_ms / $s2s_ms" | bc -l)"
else
    echo "torchaudio not installed: no DTW peer"
fi

echo
echo "== 3. search time against index size (synthetic unit vectors, dim $dim, int8)"
for n in 10000 100000 1000000 10000000; do
    [ "$n" -le "$max_segments" ] || continue
    build/s2s-bench-search "$work/syn$n.db" "$n" "$dim" 21
    rm -f "$work/syn$n.db"*
done
