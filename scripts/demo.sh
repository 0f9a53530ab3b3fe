#!/usr/bin/env bash
# The demo: sets up a fresh Debian machine (apt-get), builds s2s, indexes the
# demo recordings in data/demo/ with the shipped model, and asks where the
# query data/demo/white_house.wav ("white house", said by a voice none of the
# recordings uses) is said.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh build >/dev/null
db=build/demo.db
rm -f "$db" "$db-wal" "$db-shm"
mapfile -t recordings < <(ls data/demo/*.wav | grep -v '/white_house\.wav$')
echo "== s2s index --db $db data/demo/*.wav (${#recordings[@]} recordings, the query left out)"
build/s2s index --db "$db" "${recordings[@]}"
echo
echo "== s2s query --db $db -k 5 --per-file data/demo/white_house.wav"
build/s2s query --db "$db" -k 5 --per-file data/demo/white_house.wav
echo
echo "Recordings that really say \"white house\" (data/demo/truth.tsv):"
cut -f2 data/demo/truth.tsv | sed 's/^/  /'
echo
build/s2s eval --db "$db" --truth data/demo/truth.tsv data/demo/white_house.wav
