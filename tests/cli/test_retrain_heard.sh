#!/usr/bin/env bash
# End-to-end: `s2s train --db` with a model that has a CTC head trains, by
# default, the correspondence objective with the contrastive term on the
# words the head heard in two or more of the index's recordings (--variant
# heard): the words written by --words-out are words of the index's stored
# transcripts, each heard in two recordings or more, 5 letters or more, with
# the stored times; audio named on the command line and recordings indexed
# without transcripts are transcribed first, and a word heard only in audio
# named is left out; a stored transcript that does not parse is named and
# left out; nothing heard twice is an error that says so; a model without a
# head falls back to mined pairs; bad combinations are usage errors.
. "$S2S_TESTLIB"
DB="$TMP/demo.db"
index_demo "$DB"

expect_status 0 "train --db (heard words by default)" "$S2S" train --db "$DB" --batch 8 --epochs 1 \
    --threads 2 --words-out "$TMP/heard.tsv" --out "$TMP/H.model"
expect_grep "[0-9]+ words heard in 2 or more recordings, [0-9]+ times in all" "$TMP/err" \
    "says how many words it heard"
expect_grep "variant correspond" "$TMP/err" "trains the correspondence objective"
# Each occurrence enters twice: as heard, and in a window of the index's
# lengths around it.
times=$(sed -n 's/.* \([0-9]*\) times in all.*/\1/p' "$TMP/err")
segments=$(sed -n 's/^[0-9]* files, \([0-9]*\) segments,.*/\1/p' "$TMP/err")
[ -n "$times" ] && [ "$segments" = $((2 * times)) ] &&
    pass "every heard occurrence trained on twice ($times times, $segments segments)" ||
    fail "heard $times times, $segments segments"
expect_grep "wrote .*H.model" "$TMP/err" "writes the model"
if grep -q "transcribing" "$TMP/err"; then fail "transcribed again what the index holds"; else
    pass "uses the index's transcripts (nothing transcribed)"; fi
python3 - "$TMP/heard.tsv" "$DB" <<'PY' && pass "words: stored words of 5+ letters, each in 2+ recordings, stored times" || fail "words file: see above"
import sqlite3, sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
assert rows, "no words"
stored = collections.defaultdict(set)
for path, text in sqlite3.connect(sys.argv[2]).execute("select path, transcript from recordings"):
    for line in (text or "").splitlines():
        start, end, word = line.split("\t")
        stored[path].add((float(start), float(end), word))
recordings = collections.defaultdict(set)
for path, start, end, word in rows:
    assert (float(start), float(end), word) in stored[path], (path, start, end, word)
    assert len(word.replace("'", "")) >= 5, word
    recordings[word].add(path)
assert all(len(r) >= 2 for r in recordings.values()), recordings
PY
"$S2S" embed --model "$MODEL" "$TMP"/demo/white_house.wav > "$TMP/v0" 2>/dev/null
"$S2S" embed --model "$TMP/H.model" "$TMP"/demo/white_house.wav > "$TMP/vh" 2>/dev/null
[ -s "$TMP/vh" ] && ! cmp -s "$TMP/v0" "$TMP/vh" && pass "training on heard words changes the vectors" ||
    fail "heard-word training left the vectors unchanged"
# The words file is a word-time file: it trains the same way through --words.
expect_status 0 "the words file feeds --variant correspond --words" "$S2S" train -q \
    --variant correspond --words "$TMP/heard.tsv" --init "$MODEL" --batch 8 --epochs 1 --lr 1e-4 \
    --out "$TMP/C.model"

# Audio named beside --db (a path with a space and non-ASCII letters) is
# transcribed first, and so is an index stored without transcripts.
cp "$TMP/demo/tour_last_spring.wav" "$TMP/tour été.wav"
expect_status 0 "train --db with audio named" "$S2S" train --db "$DB" --batch 8 --epochs 1 \
    --words-out "$TMP/heard2.tsv" --out "$TMP/H2.model" "$TMP/tour été.wav"
expect_grep "transcribing 1 recordings \(no stored transcript\)" "$TMP/err" "transcribes the audio named"
grep -q "tour été.wav" "$TMP/heard2.tsv" && pass "the named audio's words are trained on" ||
    fail "no word of the named audio in $(head -c 300 "$TMP/heard2.tsv")"
# Words heard only in audio named for training (not in the index) are left
# out: "aponder" and "please", heard in two copies of one fixture, are
# trained on only without --db.
A1="$S2S_FIXTURES/audio/speech_a.wav" A2="$S2S_FIXTURES/audio/speech_a_8k.wav"
expect_status 0 "train --db with two recordings unlike the index's" "$S2S" train --db "$DB" \
    --batch 8 --epochs 1 --words-out "$TMP/heard4.tsv" --out "$TMP/H4.model" "$A1" "$A2"
if grep -q "speech_a" "$TMP/heard4.tsv"; then fail "trained on words the index does not hold"; else
    pass "words heard only in the audio named are left out"; fi
expect_status 0 "the same two without --db" "$S2S" train --variant heard --init "$MODEL" \
    --batch 8 --epochs 1 --words-out "$TMP/heard5.tsv" --out "$TMP/H5.model" "$A1" "$A2"
[ "$(grep -c $'\taponder$' "$TMP/heard5.tsv")" = 2 ] && pass "without an index, every recording counts" ||
    fail "words without --db: $(head -c 300 "$TMP/heard5.tsv")"
# Its defaults include the contrastive term at weight 1: the same model as
# with --contrast 1 given, another one with --contrast 0 (two words heard
# here: the demo's recordings share one, which leaves the term nothing to
# tell apart).
expect_status 0 "heard with --contrast 1 given" "$S2S" train -q --variant heard --init "$MODEL" \
    --batch 8 --epochs 1 --contrast 1 --out "$TMP/H5c1.model" "$A1" "$A2"
cmp -s "$TMP/H5.model" "$TMP/H5c1.model" && pass "heard trains with --contrast 1 by default" ||
    fail "the default differs from --contrast 1"
expect_status 0 "heard with --contrast 0" "$S2S" train -q --variant heard --init "$MODEL" \
    --batch 8 --epochs 1 --contrast 0 --out "$TMP/H5c0.model" "$A1" "$A2"
cmp -s "$TMP/H5.model" "$TMP/H5c0.model" && fail "--contrast 0 changed nothing" ||
    pass "--contrast 0 turns the contrastive term off"
DBN="$TMP/bare.db"
expect_status 0 "index without transcripts" "$S2S" index -q --db "$DBN" --model "$MODEL" \
    --no-transcripts -j 2 "$TMP"/demo/*.wav
expect_status 0 "train --db on an index without transcripts" "$S2S" train --db "$DBN" --batch 8 \
    --epochs 1 --words-out "$TMP/heard3.tsv" --out "$TMP/H3.model"
expect_grep "transcribing $NUM recordings" "$TMP/err" "transcribes every recording"
cmp -s "$TMP/heard.tsv" "$TMP/heard3.tsv" && pass "transcribed now, the same words as stored" ||
    fail "words differ from the stored transcripts': $(diff "$TMP/heard.tsv" "$TMP/heard3.tsv" | head -5)"

# A stored transcript that does not parse: that recording is named and left
# out, the others are trained on, exit status 1.
cp "$DB" "$TMP/bad.db"
python3 - "$TMP/bad.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("update recordings set transcript = 'garbage' where path like '%white_house.wav'")
db.commit()
PY
expect_status 1 "a stored transcript that does not parse" "$S2S" train --db "$TMP/bad.db" --batch 8 \
    --epochs 1 --out "$TMP/B.model"
expect_grep "white_house.wav: stored transcript unreadable .*not trained on" "$TMP/err" "names the recording"
expect_grep "wrote .*B.model" "$TMP/err" "trains on the rest"

# Nothing heard in two recordings: an error naming the fix.
expect_status 1 "one recording: no word heard twice" "$S2S" train --variant heard --init "$MODEL" \
    --epochs 1 --out "$TMP/one.model" "$TMP/demo/white_house.wav"
expect_grep "no word of 5 letters or more is heard in 2 recordings of the 1 \(train with --variant mined\)" \
    "$TMP/err" "says why and what to do"

# A model without a CTC head: --db falls back to mined pairs, and heard
# words cannot be had.
expect_status 0 "a tiny model without a head" "$S2S" train -q --hidden 8 --vector-dim 4 --epochs 1 \
    --out "$TMP/tiny.model" "$TMP"/demo/white_house.wav
DBT="$TMP/tiny.db"
expect_status 0 "index with it" "$S2S" index -q --db "$DBT" --model "$TMP/tiny.model" "$TMP"/demo/*.wav
expect_status 0 "train --db with it" "$S2S" train --db "$DBT" --epochs 1 --mine-cosine -1 \
    --out "$TMP/T2.model"
expect_grep "has no CTC head: training on mined pairs" "$TMP/err" "falls back to mined pairs, and says so"
expect_status 1 "--variant heard with it" "$S2S" train --db "$DBT" --variant heard --epochs 1 \
    --out "$TMP/T3.model"
expect_grep "has no CTC head to transcribe the $NUM recordings" "$TMP/err" "says the model cannot hear"

expect_status 2 "heard with --words" "$S2S" train --variant heard --init "$MODEL" --words "$TMP/heard.tsv"
expect_status 2 "heard without a model" "$S2S" train --variant heard "$TMP/demo/white_house.wav"
expect_status 2 "--words-out without heard" "$S2S" train --db "$DB" --variant mined \
    --words-out "$TMP/x.tsv" --out "$TMP/x.model"
finish
