#!/usr/bin/env bash
# End-to-end: `s2s train --db --variant mined` trains the correspondence
# objective on mined pairs (windows of different recordings that the
# index's model finds alike; the default for a model without a CTC head): the pairs written by --mine-out lie in the
# index's recordings, in two different ones, best cosine first, above
# --mine-cosine; --mine-pairs and --mine-windows do what they say; no pair
# above the threshold is an error that says so; --variant plain still trains
# the old way; bad combinations are usage errors.
. "$S2S_TESTLIB"
DB="$TMP/demo.db"
index_demo "$DB"

expect_status 0 "train --db --variant mined" "$S2S" train --db "$DB" --variant mined --batch 8 --epochs 1 \
    --threads 2 --mine-cosine 0.5 --mine-out "$TMP/pairs.tsv" --out "$TMP/M.model"
expect_grep "mining pairs among [0-9]+ windows of $NUM files" "$TMP/err" "mines the index's windows"
expect_grep "variant correspond" "$TMP/err" "trains the correspondence objective"
expect_grep "mined pairs train the projection only" "$TMP/err" "says only the projection learns"
expect_grep "wrote .*M.model" "$TMP/err" "writes the model"
cp "$TMP/err" "$TMP/err.first"
# The new model keeps the starting model's language model (read from
# beside the model file): copied to M.lm.
cmp -s "$S2S_DATA_DIR/s2s-default.lm" "$TMP/M.lm" && pass "the language model is copied beside the new model" ||
    fail "no M.lm beside M.model"
expect_grep "copied .*s2s-default.model's language model to .*M.lm" "$TMP/err" "says it copied the language model"
python3 - "$TMP/pairs.tsv" "$TMP/demo" 0.5 <<'PY' && pass "pairs: two recordings of the index, spans inside them, sorted, above the threshold" || fail "pairs file: see above"
import os, sys, wave
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
assert rows, "no pairs"
prev = 2.0
for r in rows:
    assert len(r) == 7, r
    assert r[0] != r[3], ("same recording", r)
    for f, a, b in ((r[0], r[1], r[2]), (r[3], r[4], r[5])):
        assert os.path.dirname(os.path.abspath(f)) == os.path.abspath(sys.argv[2]), f
        with wave.open(f) as w:
            dur = w.getnframes() / w.getframerate()
        assert 0 <= float(a) < float(b) <= dur + 0.03, (f, a, b, dur)
    c = float(r[6])
    assert float(sys.argv[3]) <= c <= prev + 1e-6, (c, prev)
    prev = c
PY

expect_status 1 "no pair above --mine-cosine 1" "$S2S" train --db "$DB" --variant mined --epochs 1 \
    --mine-cosine 1 --out "$TMP/none.model"
expect_grep "no pair of windows found with cosine >= 1.00" "$TMP/err" "says why"

# --mine-pairs keeps the best N; --mine-windows all searches more windows.
expect_status 0 "train --db --mine-pairs 3 --mine-windows all" "$S2S" train --db "$DB" --variant mined --batch 8 \
    --epochs 1 --mine-cosine 0.5 --mine-pairs 3 --mine-windows all --mine-out "$TMP/pairs3.tsv" \
    --out "$TMP/M3.model"
[ "$(wc -l < "$TMP/pairs3.tsv")" = 3 ] && pass "--mine-pairs 3: three pairs" ||
    fail "--mine-pairs 3: $(wc -l < "$TMP/pairs3.tsv") pairs"
n_pauses=$(sed -n 's/.*mining pairs among \([0-9]*\) windows.*/\1/p' "$TMP/err.first")
n_all=$(sed -n 's/.*mining pairs among \([0-9]*\) windows.*/\1/p' "$TMP/err")
[ -n "$n_pauses" ] && [ -n "$n_all" ] && [ "$n_all" -gt "$n_pauses" ] &&
    pass "all windows ($n_all) are more than the windows after pauses ($n_pauses)" ||
    fail "windows searched: pauses '$n_pauses', all '$n_all'"

"$S2S" embed --model "$MODEL" "$TMP"/demo/white_house.wav > "$TMP/v0" 2>/dev/null
"$S2S" embed --model "$TMP/M.model" "$TMP"/demo/white_house.wav > "$TMP/vm" 2>/dev/null
[ -s "$TMP/vm" ] && ! cmp -s "$TMP/v0" "$TMP/vm" && pass "training on mined pairs changes the vectors" ||
    fail "mined training left the vectors unchanged"

# Only the projection by default: the CTC head's own transcripts (--no-lm:
# the language model is read from beside the model file) stay as they were;
# --whole-model trains the encoder too, and the vectors differ.
"$S2S" transcribe --no-lm --model "$MODEL" "$TMP"/demo/white_house.wav > "$TMP/t0" 2>/dev/null
"$S2S" transcribe --no-lm --model "$TMP/M.model" "$TMP"/demo/white_house.wav > "$TMP/tm" 2>/dev/null
[ -s "$TMP/tm" ] && cmp -s "$TMP/t0" "$TMP/tm" && pass "the default keeps the encoder: same transcript" ||
    fail "the default changed the transcript"
echo "my own words" > "$TMP/W.lm"
expect_status 0 "train --db --whole-model" "$S2S" train --db "$DB" --variant mined --batch 8 --epochs 1 --lr 0.01 \
    --threads 2 --mine-cosine 0.5 --whole-model --out "$TMP/W.model"
[ "$(cat "$TMP/W.lm")" = "my own words" ] && pass "a language model already beside --out is kept" ||
    fail "W.lm was overwritten"
"$S2S" embed --model "$TMP/W.model" "$TMP"/demo/white_house.wav > "$TMP/vw" 2>/dev/null
[ -s "$TMP/vw" ] && ! cmp -s "$TMP/vm" "$TMP/vw" && pass "--whole-model trains more than the projection" ||
    fail "--whole-model gave the default's vectors"
expect_status 2 "--whole-model with --projection-only" "$S2S" train --db "$DB" --variant mined --whole-model \
    --projection-only --out "$TMP/x.model"
expect_status 2 "--whole-model without mined" "$S2S" train --db "$DB" --variant plain --whole-model \
    --out "$TMP/x.model"

expect_status 0 "train --db --variant plain" "$S2S" train --db "$DB" --variant plain --batch 8 \
    --epochs 1 --out "$TMP/P.model"
expect_grep "variant plain" "$TMP/err" "plain when asked"
expect_status 2 "mined without a model to mine with" "$S2S" train --variant mined "$TMP"/demo/white_house.wav
expect_status 2 "mined with --words" "$S2S" train --variant mined --init "$MODEL" --words "$TMP/w.tsv"
expect_status 2 "bad --mine-windows" "$S2S" train --db "$DB" --mine-windows some --out "$TMP/x.model"
expect_status 2 "--mine-* options without the mined variant" "$S2S" train --db "$DB" --mine-cosine 0.5 \
    --out "$TMP/x.model"
expect_grep "are for --variant mined" "$TMP/err" "says the --mine-* options are the mined variant's"
finish
