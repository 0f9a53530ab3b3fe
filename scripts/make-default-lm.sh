#!/usr/bin/env bash
# Writes data/s2s-default.lm, the text of the shipped model's character
# language model (s2s transcribe and index use MODEL.lm beside a model by
# default): the English word list of Debian's wamerican package (SCOWL,
# Kevin Atkinson's word lists; free to copy and distribute), without the
# lines the head cannot spell (bytes outside ASCII), which s2s skips anyway.
# Its settings were chosen with scripts/tune-lm.sh on a development corpus.
#
# usage: scripts/make-default-lm.sh [OUT (data/s2s-default.lm)]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-data/s2s-default.lm}
list=/usr/share/dict/american-english
[ -f "$list" ] || { echo "missing $list: apt-get install -y wamerican" >&2; exit 1; }
LC_ALL=C grep -v '[^ -~]' "$list" > "$out"
echo "$out: $(wc -l < "$out") words from $(dpkg-query -W -f='${Package} ${Version}' wamerican)"
