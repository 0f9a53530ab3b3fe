#!/usr/bin/env bash
# End-to-end: `s2s reindex` and `s2s train --db` with tiny models trained
# here: the index switches to the new model with each recording embedded once;
# a reindex killed with SIGKILL midway and rerun ends the same way, integrity
# ok; a query during a reindex answers from the old model; a model with
# another vector size is refused naming both; recordings moved since indexing
# are named (reindex keeps the old model; train skips them); `s2s retrain`.
. "$S2S_TESTLIB"
F="$S2S_FIXTURES/audio"
AUDIO="$F/speech_a.wav $F/speech_b.wav $F/speech_c.wav"
TINY="-q --hidden 16 --batch 4 --epochs 1"
"$S2S" train $TINY --vector-dim 8 --seed 1 --out "$TMP/A.model" $AUDIO || fail "train A"
"$S2S" train $TINY --vector-dim 8 --seed 2 --out "$TMP/B.model" $AUDIO || fail "train B"
"$S2S" train $TINY --vector-dim 4 --seed 1 --out "$TMP/C.model" $AUDIO || fail "train C"
# A slower (wider) model with the same vector size, so a reindex lasts a while.
"$S2S" train -q --hidden 256 --batch 4 --epochs 1 --vector-dim 8 --seed 3 --out "$TMP/D.model" \
    $AUDIO || fail "train D"

mkdir -p "$TMP/demo"
cp "$S2S_DATA_DIR"/demo/*.wav "$TMP/demo/"
NUM=$(ls "$TMP/demo"/*.wav | wc -l)
DB="$TMP/demo.db"

# stats_field MODEL_FILE FIELD: a model's field from `s2s stats --json`.
stats_field() {
    "$S2S" stats --db "$1" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
m = [m for m in s["models"] if m["file"].endswith("/" + sys.argv[1])]
print(m[0][sys.argv[2]] if m else "none")' "$2" "$3"
}
# vector_rows DB: "rows distinct-recordings distinct-models" of the vectors table.
vector_rows() {
    python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(*c.execute("SELECT count(*), count(DISTINCT recording_id), count(DISTINCT model_id) FROM vectors").fetchone())' "$1"
}

expect_status 0 "reindex --help" "$S2S" reindex --help
expect_grep "--model" "$TMP/out" "help names --model"
expect_status 2 "reindex without --model" "$S2S" reindex --db "$DB"
expect_status 1 "reindex of a missing index" "$S2S" reindex --db "$TMP/none.db" --model "$TMP/B.model"

expect_status 0 "index demo with A" "$S2S" index -q --db "$DB" --model "$TMP/A.model" -j 2 "$TMP"/demo/*.wav
SEGS_A=$(stats_field "$DB" A.model segments)

# 1. Reindex with B: B active, only B's vectors, each recording once.
expect_status 0 "reindex with B" "$S2S" reindex --db "$DB" --model "$TMP/B.model" -j 2
expect_grep "now uses .*B.model" "$TMP/err" "reindex says the index now uses B"
[ "$(stats_field "$DB" B.model active)" = True ] && pass "stats: B active" || fail "stats: B not active"
[ "$(stats_field "$DB" A.model segments)" = 0 ] && pass "stats: A's vectors dropped" || fail "A's vectors remain"
[ "$(stats_field "$DB" A.model active)" = False ] && pass "stats: A remembered, inactive" || fail "A's row"
[ "$(stats_field "$DB" B.model segments)" = "$SEGS_A" ] && pass "B has as many segments as A had" ||
    fail "B segments $(stats_field "$DB" B.model segments), A had $SEGS_A"
[ "$(vector_rows "$DB")" = "$NUM $NUM 1" ] && pass "each recording embedded once, by one model" ||
    fail "vectors: $(vector_rows "$DB"), wanted $NUM $NUM 1"
expect_status 0 "stats --check after reindex" "$S2S" stats --db "$DB" --check
expect_grep "\* 2 .* $NUM/$NUM recordings" "$TMP/out" "stats shows B's recordings"
expect_status 0 "query with B" "$S2S" query --db "$DB" --model "$TMP/B.model" "$S2S_DATA_DIR"/demo/white_house.wav
expect_status 1 "query with A refused after the switch" "$S2S" query --db "$DB" --model "$TMP/A.model" "$S2S_DATA_DIR"/demo/white_house.wav
expect_status 0 "reindex again with B: nothing to do" "$S2S" reindex --db "$DB" --model "$TMP/B.model"
expect_grep "already uses" "$TMP/err" "says the index already uses B"

# 2. Another vector size: refused, naming both models; nothing changes.
expect_status 1 "reindex with a 4-dim model refused" "$S2S" reindex --db "$DB" --model "$TMP/C.model"
expect_grep "C.model.*4.*B.model.*8" "$TMP/err" "error names both models and sizes"
[ "$(wc -l <"$TMP/err")" = 1 ] && pass "one-line error" || fail "error has $(wc -l <"$TMP/err") lines"
[ "$(stats_field "$DB" C.model id)" = none ] && pass "refused model not registered" || fail "C registered"

# 3. A moved recording: named, skipped, the old model stays active; back: done.
mv "$TMP/demo/white_horse.wav" "$TMP/white_horse.wav"
expect_status 1 "reindex with a moved recording" "$S2S" reindex --db "$DB" --model "$TMP/A.model" -j 2
expect_grep "white_horse.wav: moved or missing" "$TMP/err" "names the moved recording"
expect_grep "still using .*B.model" "$TMP/err" "says B stays active"
[ "$(stats_field "$DB" B.model active)" = True ] && pass "B still active" || fail "switched with a recording missing"
mv "$TMP/white_horse.wav" "$TMP/demo/white_horse.wav"
expect_status 0 "rerun once it is back" "$S2S" reindex --db "$DB" --model "$TMP/A.model" -j 2
expect_grep "re-embedded 1 recordings.* $((NUM - 1)) already done" "$TMP/err" "resumes: only the missing one embedded"
[ "$(stats_field "$DB" A.model active)" = True ] && pass "A active again" || fail "A not active"

# 4. Many copies, so that a reindex with the wide model D lasts a while.
mkdir -p "$TMP/many"
for i in $(seq 1 12); do
    for f in "$TMP"/demo/*.wav; do cp "$f" "$TMP/many/c${i}_$(basename "$f")"; done
done
BIG="$TMP/big.db"
"$S2S" index -q --db "$BIG" --model "$TMP/A.model" -j 2 "$TMP"/many/*.wav || fail "index copies"
TOTAL=$(ls "$TMP"/many/*.wav | wc -l)
SEGS_BIG=$(stats_field "$BIG" A.model segments)

# wait_started DB: until D has vectors of at least one recording (10 s at most).
wait_started() {
    for _ in $(seq 1 200); do
        n=$(stats_field "$1" D.model recordings 2>/dev/null)
        [ -n "$n" ] && [ "$n" != none ] && [ "$n" -gt 0 ] && return 0
        sleep 0.05
    done
    return 1
}

# 4a. A query while the reindex runs answers from A.
"$S2S" reindex -q --db "$BIG" --model "$TMP/D.model" -j 1 &
pid=$!
if wait_started "$BIG" && kill -0 $pid 2>/dev/null; then
    expect_status 0 "query with A during the reindex" "$S2S" query --db "$BIG" --model "$TMP/A.model" "$S2S_DATA_DIR"/demo/white_house.wav
    expect_grep "white_house" "$TMP/out" "query during the reindex finds hits"
    expect_status 1 "query with D refused during the reindex" "$S2S" query --db "$BIG" --model "$TMP/D.model" "$S2S_DATA_DIR"/demo/white_house.wav
    done_now=$(stats_field "$BIG" D.model recordings)
    [ "$done_now" -lt "$TOTAL" ] && pass "reindex still running ($done_now/$TOTAL)" || pass "reindex finished meanwhile"
else
    pass "reindex finished before a query could run (machine fast): not exercised"
fi
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null

# 4b. SIGKILL midway, then rerun: every segment embedded once, by D.
"$S2S" reindex -q --db "$BIG" --model "$TMP/D.model" -j 1 &
pid=$!
wait_started "$BIG"
sleep 0.3
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
done_before=$(stats_field "$BIG" D.model recordings)
if [ "$(stats_field "$BIG" A.model active)" = True ]; then
    pass "killed at $done_before/$TOTAL recordings: A still active"
    expect_status 0 "stats --check after the kill" "$S2S" stats --db "$BIG" --check
else
    pass "reindex finished before the kill (machine fast)"
fi
expect_status 0 "rerun the reindex" "$S2S" reindex --db "$BIG" --model "$TMP/D.model" -j 2
expect_grep "already done" "$TMP/err" "rerun reports the recordings already done"
[ "$(stats_field "$BIG" D.model active)" = True ] && pass "D active" || fail "D not active"
[ "$(stats_field "$BIG" D.model segments)" = "$SEGS_BIG" ] && pass "every segment embedded by D" ||
    fail "D has $(stats_field "$BIG" D.model segments) segments, wanted $SEGS_BIG"
[ "$(vector_rows "$BIG")" = "$TOTAL $TOTAL 1" ] && pass "each recording once, one model" ||
    fail "vectors: $(vector_rows "$BIG"), wanted $TOTAL $TOTAL 1"
expect_status 0 "stats --check after the rerun" "$S2S" stats --db "$BIG" --check

# 5. train --db: the index's recordings, from its model; a moved one named.
expect_status 2 "--reindex needs --db" "$S2S" train --reindex $AUDIO
mv "$TMP/demo/fence_white.wav" "$TMP/fence_white.wav"
expect_status 1 "train --db with a moved recording" "$S2S" train --db "$DB" --batch 4 --epochs 1 --out "$TMP/R.model"
expect_grep "fence_white.wav: moved or missing" "$TMP/err" "train names the moved recording"
expect_grep "training on $((NUM - 1)) recordings .* from .*A.model" "$TMP/err" "trains on the others, from the index's model"
expect_grep "wrote .*R.model" "$TMP/err" "train --db writes the model"
expect_status 1 "train --db refuses to overwrite the index's model" "$S2S" train --db "$DB" --epochs 1 --out "$TMP/A.model"
expect_grep "A.model: is the model the index uses" "$TMP/err" "names the model it will not overwrite"
mv "$TMP/fence_white.wav" "$TMP/demo/fence_white.wav"
# An index whose every recording has moved: nothing to train on, said so.
cp "$TMP/demo/fence_white.wav" "$TMP/lone.wav"
expect_status 0 "index one recording" "$S2S" index -q --db "$TMP/lone.db" --model "$TMP/A.model" "$TMP/lone.wav"
rm "$TMP/lone.wav"
expect_status 1 "train --db with no readable recording" "$S2S" train --db "$TMP/lone.db" --epochs 1 --out "$TMP/L.model"
expect_grep "lone.db: no recording of the index is readable" "$TMP/err" "says there is nothing to train on"
[ ! -e "$TMP/L.model" ] && pass "no model written" || fail "a model was written from no audio"
expect_status 0 "retrain (train + reindex)" "$S2S" retrain --db "$DB" --batch 4 --epochs 1 --out "$TMP/R2.model"
expect_grep "now uses .*R2.model" "$TMP/err" "retrain switches the index to the new model"
[ "$(vector_rows "$DB")" = "$NUM $NUM 1" ] && pass "after retrain: each recording once" ||
    fail "vectors: $(vector_rows "$DB")"
finish
