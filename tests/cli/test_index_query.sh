#!/usr/bin/env bash
# End-to-end: s2s index / query / eval / list / stats / remove on the demo
# recordings with the shipped model, and the index's behaviour on bad input.
. "$S2S_TESTLIB"
DEMO="$S2S_DATA_DIR/demo"
DB="$TMP/idx.db"
mapfile -t RECORDINGS < <(ls "$DEMO"/*.wav | grep -v '/white_house\.wav$')
QUERY="$DEMO/white_house.wav"

expect_status 0 "index --help" "$S2S" index --help
expect_grep "--jobs" "$TMP/out" "index help lists --jobs"
expect_status 0 "query --help" "$S2S" query --help
expect_status 2 "query without file" "$S2S" query --db "$DB"
expect_status 1 "query on a missing index" "$S2S" query --db "$TMP/none/x.db" "$QUERY"

expect_status 0 "index the demo" "$S2S" index -q --db "$DB" "${RECORDINGS[@]}"
expect_status 0 "stats" "$S2S" stats --db "$DB" --json
expect_grep "\"recordings\": ${#RECORDINGS[@]}," "$TMP/out" "all recordings stored"
segments=$(sed 's/.*"segments": \([0-9]*\), "bytes".*/\1/' "$TMP/out")
[ "$segments" -gt 100 ] && pass "segments stored ($segments)" || fail "only $segments segments"

expect_status 0 "index again" "$S2S" index --db "$DB" "${RECORDINGS[@]}"
expect_grep "indexed 0 files .* ${#RECORDINGS[@]} unchanged" "$TMP/err" "unchanged files skipped"
"$S2S" stats --db "$DB" --json > "$TMP/stats2"
grep -q "\"segments\": $segments," "$TMP/stats2" && pass "nothing added twice" || fail "segments changed: $(cat "$TMP/stats2")"

# A changed file is re-indexed; a bad file among good ones is named, the rest done.
cp "${RECORDINGS[0]}" "$TMP/copy one.wav"
echo "no audio here" > "$TMP/bad.wav"
expect_status 1 "bad file among good" "$S2S" index -q --db "$DB" "$TMP/bad.wav" "$TMP/copy one.wav"
expect_grep "bad.wav: not a readable audio file" "$TMP/err" "bad file named"
expect_status 0 "list" "$S2S" list --db "$DB"
expect_grep "copy one.wav" "$TMP/out" "good file beside the bad one indexed"
cp "${RECORDINGS[1]}" "$TMP/copy one.wav"
expect_status 0 "changed file" "$S2S" index --db "$DB" "$TMP/copy one.wav"
expect_grep "indexed 1 files" "$TMP/err" "changed file re-indexed"
expect_status 0 "remove" "$S2S" remove --db "$DB" "$TMP/copy one.wav"
expect_status 1 "remove again" "$S2S" remove --db "$DB" "$TMP/copy one.wav"
expect_grep "not in the index" "$TMP/err" "removing an absent file is named"

# Queries: text, JSON lines, TSV, STD list; per-file ranking.
expect_status 0 "query" "$S2S" query --db "$DB" "$QUERY"
expect_grep "^  1  0\.[0-9]+ " "$TMP/out" "ranked hits"
expect_status 0 "query --json" "$S2S" query --db "$DB" --json -k 3 "$QUERY"
[ "$(wc -l < "$TMP/out")" -eq 3 ] && pass "three hits" || fail "$(wc -l < "$TMP/out") hits"
# (the shipped model has a CTC head, so the words heard come too)
expect_grep '^\{"query": "white_house", "rank": 1, "file": "[^"]+", "start": [0-9.]+, "end": [0-9.]+, "score": [0-9.-]+(, "words": "[^"]*", "context": "[^"]*")?\}$' "$TMP/out" "JSON fields"
expect_status 0 "query --per-file" "$S2S" query --db "$DB" --per-file --tsv -k 100 "$QUERY"
[ "$(cut -f3 "$TMP/out" | sort | uniq -d | wc -l)" -eq 0 ] && pass "one hit per file" || fail "a file ranked twice"
expect_status 0 "query --stdlist" "$S2S" query --db "$DB" --stdlist "$QUERY"
expect_grep '<term file="[^"]+" channel="1" tbeg="[0-9.]+" dur="[0-9.]+" score="[0-9.-]+" decision="(YES|NO)"/>' "$TMP/out" "STD list terms"
expect_grep '</stdlist>' "$TMP/out" "STD list closed"
expect_status 0 "two queries share the index" "$S2S" query --db "$DB" --tsv -k 1 "$QUERY" "${RECORDINGS[0]}"
[ "$(wc -l < "$TMP/out")" -eq 2 ] && pass "one line per query" || fail "$(cat "$TMP/out")"

# Eval: the figures are printed and computed on the truth.
expect_status 0 "eval" "$S2S" eval --db "$DB" --truth "$DEMO/truth.tsv" --run "$TMP/run.tsv" "$QUERY"
expect_grep "^queries=1 MAP=[01]\.[0-9]{3} P@N=[01]\.[0-9]{3} P@5=[01]\.[0-9]{3}$" "$TMP/out" "eval figures"
[ "$(wc -l < "$TMP/run.tsv")" -eq "${#RECORDINGS[@]}" ] && pass "every recording ranked" || fail "run has $(wc -l < "$TMP/run.tsv") lines"

# Eval with timed truth also scores the hits.
expect_status 0 "eval with times" "$S2S" eval --db "$DB" --truth "$DEMO/truth_times.tsv" "$QUERY"
expect_grep "^hits: occurrences=4 precision=[01]\.[0-9]{3} recall=[01]\.[0-9]{3}" "$TMP/out" "hit-level figures"

# A silent query and an empty index give clear messages, not crashes.
sox -n -r 16000 -b 16 "$TMP/silent.wav" trim 0 1
expect_status 1 "silent query" "$S2S" query --db "$DB" "$TMP/silent.wav"
expect_grep "silent.wav: no speech found in the query" "$TMP/err" "silent query named"
expect_status 0 "index only silence" "$S2S" index -q --db "$TMP/silent.db" "$TMP/silent.wav"
expect_status 1 "query an index without segments" "$S2S" query --db "$TMP/silent.db" "$QUERY"
expect_grep "holds no segments" "$TMP/err" "empty index explained"

# --list: paths one a line (CRLF and blank lines allowed), or "-" for stdin;
# a path of the list that is no audio is named and the others indexed.
printf '%s\r\n\n%s\n' "${RECORDINGS[0]}" "${RECORDINGS[1]}" > "$TMP/list.txt"
expect_status 0 "index --list" "$S2S" index -q --db "$TMP/list.db" --list "$TMP/list.txt"
expect_status 0 "stats of the listed index" "$S2S" stats --db "$TMP/list.db" --json
expect_grep '"recordings": 2,' "$TMP/out" "both listed recordings stored"
printf '%s\n%s\n' "$TMP/bad.wav" "${RECORDINGS[2]}" > "$TMP/stdin.txt"
expect_status 1 "index --list - with a bad file" "$S2S" index -q --db "$TMP/list.db" --list - \
    < "$TMP/stdin.txt"
expect_grep "bad.wav" "$TMP/err" "bad listed file named"
expect_status 0 "stats after the stdin list" "$S2S" stats --db "$TMP/list.db" --json
expect_grep '"recordings": 3,' "$TMP/out" "the good file of the stdin list stored"
expect_status 1 "index --list of a missing list" "$S2S" index -q --db "$TMP/list.db" --list "$TMP/none.txt"
expect_grep "none.txt: cannot read the list" "$TMP/err" "missing list named"
# A read-only index can be queried.
cp "$DB" "$TMP/ro.db"
chmod 0444 "$TMP/ro.db"
expect_status 0 "read-only index" "$S2S" query --db "$TMP/ro.db" -k 1 "$QUERY"

# A damaged index and a file that is no index are refused with a message.
echo "definitely not sqlite" > "$TMP/garbage.db"
expect_status 1 "garbage index" "$S2S" query --db "$TMP/garbage.db" "$QUERY"
expect_grep "garbage.db: " "$TMP/err" "garbage index named"
cp "$DB" "$TMP/badheader.db"
printf 'XXXXXXXXXXXXXXXX' | dd of="$TMP/badheader.db" bs=1 seek=0 conv=notrunc 2>/dev/null
expect_status 1 "index with a damaged header" "$S2S" query --db "$TMP/badheader.db" "$QUERY"
expect_grep "badheader.db: " "$TMP/err" "damaged header named"
# Random damage inside: either refused with a message or (pages not read) answered; never a crash.
cp "$DB" "$TMP/damaged.db"
dd if=/dev/urandom of="$TMP/damaged.db" bs=1024 seek=1 count=8 conv=notrunc 2>/dev/null
"$S2S" query --db "$TMP/damaged.db" "$QUERY" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 1 ] && grep -q "damaged.db" "$TMP/err" && pass "damaged index refused" \
    || { [ $rc -eq 0 ] && pass "damaged pages not read (query answered)" || fail "damaged index: exit $rc $(cat "$TMP/err")"; }

# A model other than the index's is refused, naming both, by query and by index.
F="$S2S_FIXTURES/audio"
"$S2S" train -q --hidden 16 --vector-dim 8 --batch 4 --epochs 1 --seed 1 --out "$TMP/other.model" \
    "$F/speech_a.wav" "$F/speech_b.wav" "$F/speech_c.wav"
expect_status 1 "query with another model" "$S2S" query --db "$DB" --model "$TMP/other.model" "$QUERY"
expect_grep "made by model .* not by .*other.model" "$TMP/err" "query names both models"
expect_status 1 "index with another model" "$S2S" index -q --db "$DB" --model "$TMP/other.model" "$QUERY"
expect_grep "holds vectors of model .* not of .*other.model" "$TMP/err" "index names both models"
expect_grep "s2s reindex --db $DB --model $TMP/other.model" "$TMP/err" "and says how to switch to it"
# The model file the index names replaced by another (an upgrade of the
# shipped model): refused, with the way out.
cp "$S2S_DATA_DIR/s2s-default.model" "$TMP/upgraded.model"
expect_status 0 "index with a model file" "$S2S" index -q --no-transcripts --db "$TMP/up.db" \
    --model "$TMP/upgraded.model" "$QUERY"
expect_status 0 "the file replaced by another model of its shape" "$S2S" train -q --variant whiten \
    --init "$S2S_DATA_DIR/s2s-default.model" --out "$TMP/upgraded.model" "$DEMO"/*.wav
expect_status 1 "query after the model file changed" "$S2S" query --db "$TMP/up.db" "$QUERY"
expect_grep "made by model .*upgraded.model \([0-9a-f]{16}\), not by .*upgraded.model \([0-9a-f]{16}\).*s2s reindex --db $TMP/up.db --model $TMP/upgraded.model" \
    "$TMP/err" "names both versions and the reindex that fixes it"
expect_status 0 "reindex with the new file" "$S2S" reindex -q --db "$TMP/up.db" --model "$TMP/upgraded.model"
expect_status 0 "then query" "$S2S" query --db "$TMP/up.db" "$QUERY"
# Telephone recordings (8 kHz) searched with a wideband query: the query
# is heard through their band, so it scores as a copy of it sampled at 8
# kHz does (sox's resampler is not libsamplerate's: scores within 0.003;
# heard whole, the query is 0.005-0.012 off),
# and one wideband recording in the index widens the band again.
mkdir -p "$TMP/tel"
for f in "$DEMO"/*.wav; do sox "$f" -r 8000 "$TMP/tel/$(basename "$f")"; done
sox "$QUERY" -r 8000 "$TMP/query8k.wav"
expect_status 0 "index 8 kHz recordings" "$S2S" index -q --no-transcripts --db "$TMP/tel.db" \
    "$TMP"/tel/*.wav
top() { "$S2S" query -q --db "$1" --per-file -k 4 --tsv "$2" | cut -f3,6 | sed 's|.*/||'; }
top "$TMP/tel.db" "$QUERY" > "$TMP/wide.tsv"
top "$TMP/tel.db" "$TMP/query8k.wav" > "$TMP/narrow.tsv"
paste "$TMP/wide.tsv" "$TMP/narrow.tsv" | awk -F'\t' 'NF != 4 || $1 != $3 || $2 - $4 > 0.003 || $4 - $2 > 0.003 { bad = 1 }
    END { exit bad || NR != 4 }' && pass "a wideband query scores as its 8 kHz copy among 8 kHz recordings" ||
    fail "wideband against 8 kHz copy: $(paste "$TMP/wide.tsv" "$TMP/narrow.tsv" | tr '\n' ' ')"
cp "$TMP/tel.db" "$TMP/mixed.db"
expect_status 0 "add a 16 kHz recording" "$S2S" index -q --no-transcripts --db "$TMP/mixed.db" "$F/speech_a.wav"
top "$TMP/mixed.db" "$QUERY" | grep -v speech_a | head -3 > "$TMP/mixed.tsv"
head -3 "$TMP/wide.tsv" | cmp -s - "$TMP/mixed.tsv" && fail "the band did not widen with a 16 kHz recording" ||
    pass "a 16 kHz recording in the index widens the query's band"
finish
