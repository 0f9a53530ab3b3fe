#!/usr/bin/env bash
# The clean utterances (no augmentation) of a synthetic corpus's held-out
# voices, as transcription is scored on them: DIR/clean/*.wav (links to the
# corpus's files), DIR/ref.tsv (file<TAB>text) and DIR/voices.tsv
# (file<TAB>voice: espeak-ng's held-out variants together, the other
# engines' voices each alone, for error rates by voice).
#
# usage: scripts/heldout-utterances.sh CORPUS_DIR DIR
# The corpus is made by scripts/make-corpus.sh.
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,9s/^# \{0,1\}//p' "$0" >&2; exit 2; }
corpus=$1 dir=$2
[ -f "$corpus/words.heldout.tsv" ] || { echo "$corpus: no words.heldout.tsv (make it with scripts/make-corpus.sh)" >&2; exit 1; }
mkdir -p "$dir/clean"
cut -f1 "$corpus/words.heldout.tsv" | sort -u > "$dir/heldout.files"
awk -F'\t' -v voices="$dir/voices.tsv" 'NR == FNR { held[$1] = 1; next }
    held[$1] && $3 == "none" { print $1 "\t" $4; split($2, part, "-")
        print $1 "\t" (part[1] == "es" ? "espeak-ng" : part[1] "-" part[2]) > voices }' \
    "$dir/heldout.files" "$corpus/utterances.tsv" > "$dir/ref.tsv"
while IFS=$'\t' read -r file _; do
    ln -sf "$(realpath "$corpus/$file")" "$dir/clean/$(basename "$file")"
done < "$dir/ref.tsv"
