#!/usr/bin/env bash
# End-to-end: `s2s train --variant whiten` evens out a trained model's vector
# space on audio and writes a model that differs only in its projection: the
# vectors change, the transcripts and the model's shape do not; the result
# does not depend on the thread count; `s2s retrain --variant whiten`
# re-embeds the index with it; unreadable files are named and skipped;
# audio with no speech is an error that says so; bad combinations are usage
# errors.
. "$S2S_TESTLIB"
mkdir -p "$TMP/demo"
cp "$S2S_DATA_DIR"/demo/*.wav "$TMP/demo/"
MODEL="$S2S_DATA_DIR/s2s-default.model"
LM="$S2S_DATA_DIR/s2s-default.lm"

expect_status 0 "whiten on the demo audio" "$S2S" train --variant whiten --init "$MODEL" \
    --threads 2 --out "$TMP/W.model" "$TMP"/demo/*.wav
expect_grep "embedded [0-9]+ windows of [0-9.]+ min of audio" "$TMP/err" "says what it read"
expect_grep "[1-9][0-9]* directions scaled down \(the largest held [0-9.]+% of the variance of [0-9]+ windows, now [0-9.]+%\)" \
    "$TMP/err" "says what it changed"
expect_grep "wrote .*W.model" "$TMP/err" "writes the model"

info() { "$S2S" model info "$1" | sed -e 's/"file": [^,]*, "hash": [^,]*, //' -e 's/"bytes": [0-9]*, //' -e 's/, "num_arrays": [0-9]*//' \
    -e '/"training"/d' -e '/"language_model"/d' -e '/"whitening"/d'; }
info "$MODEL" > "$TMP/info0"
info "$TMP/W.model" > "$TMP/info1"
cmp -s "$TMP/info0" "$TMP/info1" && pass "same shape, head, features and statistics" ||
    fail "model info differs: $(diff "$TMP/info0" "$TMP/info1" | head -5)"
"$S2S" model info "$TMP/W.model" > "$TMP/info"
expect_grep '"whitening": \{"cap": 3, "windows": [0-9]+\}' "$TMP/info" "model info tells it was whitened"
# Whitening a whitened model replaces its whitening: on the same audio, the
# same vectors again (a map fitted on top would flatten them further).
expect_status 0 "whiten a whitened model" "$S2S" train --variant whiten --init "$TMP/W.model" \
    --out "$TMP/WW.model" "$TMP"/demo/*.wav
expect_grep "whitened already \(cap 3, fitted on [0-9]+ windows\): that whitening is undone and replaced" \
    "$TMP/err" "says it replaces the whitening"
"$S2S" embed --model "$TMP/W.model" "$TMP"/demo/*.wav > "$TMP/vw" 2>/dev/null
"$S2S" embed --model "$TMP/WW.model" "$TMP"/demo/*.wav > "$TMP/vww" 2>/dev/null
python3 - "$TMP/vw" "$TMP/vww" <<'PY' && pass "and gives the same vectors" || fail "whitening twice moved the vectors"
import json, sys
a = [json.loads(l)["vector"] for l in open(sys.argv[1])]
b = [json.loads(l)["vector"] for l in open(sys.argv[2])]
assert len(a) == len(b) == 13, (len(a), len(b))
worst = max(abs(x - y) for u, v in zip(a, b) for x, y in zip(u, v))
assert worst < 1e-3, worst
PY
"$S2S" embed --model "$MODEL" "$TMP"/demo/white_house.wav > "$TMP/v0" 2>/dev/null
"$S2S" embed --model "$TMP/W.model" "$TMP"/demo/white_house.wav > "$TMP/v1" 2>/dev/null
[ -s "$TMP/v1" ] && ! cmp -s "$TMP/v0" "$TMP/v1" && pass "the vectors change" ||
    fail "whitening left the vectors as they were"
"$S2S" transcribe --model "$MODEL" --lm "$LM" "$TMP"/demo/white_horse.wav > "$TMP/t0" 2>/dev/null
"$S2S" transcribe --model "$TMP/W.model" --lm "$LM" "$TMP"/demo/white_horse.wav > "$TMP/t1" 2>/dev/null
[ -s "$TMP/t0" ] && cmp -s "$TMP/t0" "$TMP/t1" && pass "the transcripts do not change" ||
    fail "transcripts differ: '$(cat "$TMP/t0")' vs '$(cat "$TMP/t1")'"

expect_status 0 "one thread" "$S2S" train -q --variant whiten --init "$MODEL" --threads 1 \
    --out "$TMP/W1.model" "$TMP"/demo/*.wav
cmp -s "$TMP/W.model" "$TMP/W1.model" && pass "the same model with 1 and 2 threads" ||
    fail "the thread count changed the model"
expect_status 0 "a lower cap" "$S2S" train -q --variant whiten --whiten-cap 1 --init "$MODEL" \
    --out "$TMP/Wc.model" "$TMP"/demo/*.wav
! cmp -s "$TMP/W.model" "$TMP/Wc.model" && pass "--whiten-cap changes the fit" || fail "--whiten-cap had no effect"

# An unreadable file among the audio: named, skipped, exit 1, model written.
printf 'not audio' > "$TMP/bad file é.wav"
expect_status 1 "a bad file among the audio" "$S2S" train --variant whiten --init "$MODEL" \
    --out "$TMP/W2.model" "$TMP/bad file é.wav" "$TMP"/demo/*.wav
expect_grep "bad file é.wav" "$TMP/err" "names the bad file"
cmp -s "$TMP/W.model" "$TMP/W2.model" && pass "the rest give the same model" || fail "the bad file changed the model"

# A model path with a space and a non-ASCII letter, written whole or not at
# all: killed while it embeds, it leaves no file (the write is atomic).
expect_status 0 "an --out path with a space and é" "$S2S" train -q --variant whiten --init "$MODEL" \
    --out "$TMP/my modèle.model" "$TMP"/demo/*.wav
"$S2S" model info "$TMP/my modèle.model" > /dev/null 2>&1 && pass "that model loads" || fail "that model does not load"
"$S2S" train -q --variant whiten --init "$MODEL" --threads 1 --out "$TMP/killed.model" \
    "$TMP"/demo/*.wav "$TMP"/demo/*.wav "$TMP"/demo/*.wav &
sleep 0.5
kill -9 $! 2>/dev/null
wait $! 2>/dev/null
if [ ! -e "$TMP/killed.model" ]; then pass "killed mid-run: no model file"
elif "$S2S" model info "$TMP/killed.model" > /dev/null 2>&1; then pass "killed after the write: a whole model"
else fail "killed mid-run left a broken model"; fi

# No speech at all: an error that says so, and no model.
sox -n -r 16000 -b 16 -c 1 "$TMP/silence.wav" trim 0 3 2>/dev/null ||
    python3 -c "import wave,sys; w=wave.open(sys.argv[1],'w'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000); w.writeframes(bytes(96000))" "$TMP/silence.wav"
expect_status 1 "silence only" "$S2S" train --variant whiten --init "$MODEL" --out "$TMP/S.model" "$TMP/silence.wav"
expect_grep "too few to fit" "$TMP/err" "says there is too little speech"
[ ! -e "$TMP/S.model" ] && pass "no model written" || fail "a model was written from silence"

# retrain: whiten on the index's audio, then reindex with the new model.
DB="$TMP/demo.db"
expect_status 0 "index the demo" "$S2S" index -q --db "$DB" --model "$MODEL" --no-transcripts -j 2 "$TMP"/demo/*.wav
expect_status 0 "retrain --variant whiten" "$S2S" retrain --db "$DB" --variant whiten --out "$TMP/R.model"
"$S2S" stats --db "$DB" > "$TMP/stats"
expect_grep "\* [0-9]+ +[0-9a-f]{16} .*R.model" "$TMP/stats" "the index now answers from the new model"
expect_status 0 "query the reindexed index" "$S2S" query --db "$DB" --model "$TMP/R.model" "$TMP"/demo/white_house.wav
expect_grep "white_house.wav" "$TMP/out" "finds the phrase in its own recording"

expect_status 2 "whiten without a model" "$S2S" train --variant whiten --out "$TMP/x.model" "$TMP"/demo/*.wav
expect_status 2 "whiten with --words" "$S2S" train --variant whiten --init "$MODEL" --words "$TMP/w.tsv"
expect_status 2 "whiten with --vtlp" "$S2S" train --variant whiten --init "$MODEL" --vtlp 0.9 "$TMP"/demo/*.wav
expect_status 2 "cap below 1" "$S2S" train --variant whiten --whiten-cap 0.5 --init "$MODEL" "$TMP"/demo/*.wav
expect_status 2 "cap without whiten" "$S2S" train --whiten-cap 2 --init "$MODEL" "$TMP"/demo/*.wav
finish
