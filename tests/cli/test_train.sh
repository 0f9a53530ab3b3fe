#!/usr/bin/env bash
# End-to-end: `s2s train` (tiny model on the fixture audio): usage errors,
# determinism (same seed and threads -> same file), Ctrl-C checkpoint and
# resume giving the same model as an uninterrupted run, a damaged --out
# refused; `s2s model info` and `s2s embed` on the result.
. "$S2S_TESTLIB"
F="$S2S_FIXTURES/audio"
AUDIO="$F/speech_a.wav $F/speech_b.wav $F/speech_c.wav"
TINY="--hidden 16 --vector-dim 8 --batch 4 --threads 2 --seed 3 -q"

expect_status 0 "--help" "$S2S" train --help
expect_grep "--variant" "$TMP/out" "help lists --variant"
expect_status 2 "no audio" "$S2S" train
expect_status 2 "bad variant" "$S2S" train --variant bogus $AUDIO
expect_status 2 "correspond needs words" "$S2S" train --variant correspond $AUDIO
expect_status 2 "bad hidden" "$S2S" train --hidden 0 $AUDIO

expect_status 2 "vtlp factor 1 refused" "$S2S" train --vtlp 1 $AUDIO
expect_status 2 "vtlp factor out of range" "$S2S" train --vtlp 0.9,1.6 $AUDIO
expect_status 2 "vtlp not a number" "$S2S" train --vtlp 0.9,x $AUDIO
expect_grep "--vtlp" "$TMP/err" "vtlp error names the option"
expect_status 2 "speed 1 refused" "$S2S" train --speed 1 $AUDIO
expect_status 2 "speed out of range" "$S2S" train --speed 0.5 $AUDIO
expect_grep "--speed" "$TMP/err" "speed error names the option"

expect_status 0 "train" "$S2S" train $TINY --epochs 4 --out "$TMP/a.model" $AUDIO
expect_status 0 "train again" "$S2S" train $TINY --epochs 4 --out "$TMP/b.model" $AUDIO
cmp -s "$TMP/a.model" "$TMP/b.model" && pass "same seed, same model" || fail "same seed gave different models"
# --list: the same files read from a list (CRLF line ends and blank lines
# allowed) train the same model; a missing list is named.
printf '%s\r\n\n%s\r\n%s\n\n' $AUDIO > "$TMP/list.txt"
expect_status 0 "train --list" "$S2S" train $TINY --epochs 4 --out "$TMP/l.model" --list "$TMP/list.txt"
cmp -s "$TMP/a.model" "$TMP/l.model" && pass "a listed file set trains the same model" || fail "--list gave another model"
expect_status 1 "train --list of a missing list" "$S2S" train $TINY --out "$TMP/m.model" --list "$TMP/none.txt"
expect_grep "none.txt: cannot read the list" "$TMP/err" "missing list named"
expect_status 2 "train --list with AUDIO too" "$S2S" train $TINY --list "$TMP/list.txt" $AUDIO

# Vocal tract length perturbation: every file enters once more per warp factor
# (the same windows' worth of segments), and the model learns from them.
TINY_LOUD="--hidden 16 --vector-dim 8 --batch 4 --threads 2 --seed 3"
segments_of() { sed -n 's/.* files, \([0-9]*\) segments.*/\1/p' "$1" | head -1; }
expect_status 0 "train without vtlp" "$S2S" train $TINY_LOUD --epochs 1 --out "$TMP/nv.model" $AUDIO
n1=$(segments_of "$TMP/err")
expect_status 0 "train with --vtlp 0.9,1.1" "$S2S" train $TINY_LOUD --epochs 1 --vtlp 0.9,1.1 --out "$TMP/v.model" $AUDIO
n3=$(segments_of "$TMP/err")
[ -n "$n1" ] && [ "$n3" -ge $((2 * n1)) ] && [ "$n3" -le $((4 * n1)) ] &&
    pass "vtlp copies: $n1 segments -> $n3" || fail "vtlp segments: $n1 -> $n3"
cmp -s "$TMP/nv.model" "$TMP/v.model" && fail "vtlp changed nothing" || pass "vtlp changes the model"

# Speed perturbation: a copy per speed, its word spans scaled with it, so
# speed 0.8 adds the same words at 1/0.8 times their frames.
F_WORDS="$TMP/words.tsv"
printf '%s\t0.30\t0.90\tone\n%s\t0.20\t1.00\ttwo\n' "$F/speech_a.wav" "$F/speech_b.wav" > "$F_WORDS"
frames_of() { sed -n 's/.* segments, \([0-9]*\) frames.*/\1/p' "$1" | head -1; }
expect_status 0 "train on words" "$S2S" train $TINY_LOUD --epochs 1 --words "$F_WORDS" --out "$TMP/w.model"
f1=$(frames_of "$TMP/err")
expect_status 0 "train on words with --speed 0.8" "$S2S" train $TINY_LOUD --epochs 1 --speed 0.8 \
    --words "$F_WORDS" --out "$TMP/ws.model"
f2=$(frames_of "$TMP/err")
[ -n "$f1" ] && [ $((f2 * 100)) -ge $((f1 * 220)) ] && [ $((f2 * 100)) -le $((f1 * 230)) ] &&
    pass "speed 0.8: $f1 word frames -> $f2 (x2.25 expected)" || fail "speed frames: $f1 -> $f2"
cmp -s "$TMP/w.model" "$TMP/ws.model" && fail "speed changed nothing" || pass "speed changes the model"

# The contrastive term beside the correspondence objective: it changes the
# model, and it adds to the loss; it needs pairs and a sane temperature.
C_WORDS="$TMP/pairs.tsv"
printf '%s\t0.20\t0.70\tone\n%s\t0.20\t0.70\tone\n%s\t0.80\t1.40\ttwo\n%s\t0.80\t1.40\ttwo\n%s\t0.30\t0.90\tone\n' \
    "$F/speech_a.wav" "$F/speech_b.wav" "$F/speech_a.wav" "$F/speech_b.wav" "$F/speech_c.wav" > "$C_WORDS"
CORR="$TINY_LOUD --epochs 2 --variant correspond --words $C_WORDS --validation 0"
loss_of() { sed -n 's/.*epoch 2\/2 .* loss \([0-9.]*\) .*/\1/p' "$1" | tail -1; }
expect_status 0 "correspond" "$S2S" train $CORR --out "$TMP/c0.model"
l0=$(loss_of "$TMP/err")
expect_status 0 "correspond --contrast 1" "$S2S" train $CORR --contrast 1 --out "$TMP/c1.model"
l1=$(loss_of "$TMP/err")
cmp -s "$TMP/c0.model" "$TMP/c1.model" && fail "--contrast changed nothing" || pass "--contrast changes the model"
[ -n "$l0" ] && [ -n "$l1" ] && awk -v a="$l0" -v b="$l1" 'BEGIN { exit !(b > a) }' &&
    pass "--contrast adds to the loss ($l0 -> $l1)" || fail "loss with --contrast: $l0 -> $l1"
expect_status 0 "correspond --contrast, 1 thread" "$S2S" train $CORR --contrast 1 --threads 1 --out "$TMP/c1t.model"
expect_status 2 "--contrast without pairs" "$S2S" train $TINY --contrast 1 $AUDIO
expect_grep "contrast needs pairs" "$TMP/err" "--contrast without pairs explained"
expect_status 2 "--contrast-temperature 0" "$S2S" train $CORR --contrast 1 --contrast-temperature 0 --out "$TMP/c2.model"
expect_status 2 "--contrast negative" "$S2S" train $CORR --contrast -1 --out "$TMP/c2.model"

# Interrupt a slower run, then resume it: same bytes as the uninterrupted one.
SLOW="--hidden 64 --vector-dim 8 --batch 4 --threads 2 --seed 3 --epochs 300"
"$S2S" train $SLOW -q --out "$TMP/full.model" $AUDIO
"$S2S" train $SLOW --out "$TMP/int.model" $AUDIO 2>"$TMP/int.err" &
pid=$!
sleep 1
kill -INT $pid 2>/dev/null
wait $pid
st=$?
if grep -q "stopped: checkpoint" "$TMP/int.err"; then
    pass "Ctrl-C writes a checkpoint (exit $st)"
    expect_status 0 "resume" "$S2S" train $SLOW --out "$TMP/int.model" $AUDIO
    cmp -s "$TMP/full.model" "$TMP/int.model" && pass "resumed model identical" || fail "resumed model differs"
else
    pass "run finished before Ctrl-C (machine fast): resume not exercised"
fi

expect_status 0 "model info" "$S2S" model info "$TMP/a.model"
expect_grep '"hidden_size": 16' "$TMP/out" "info shows hidden size"
expect_grep '"hash": "[0-9a-f]{16}"' "$TMP/out" "info shows hash"
expect_status 2 "model without subcommand" "$S2S" model
printf 'garbage' >"$TMP/bad.model"
expect_status 1 "model info on garbage" "$S2S" model info "$TMP/bad.model"
expect_grep "s2s: .*bad.model: " "$TMP/err" "garbage named"
expect_status 1 "train refuses a foreign --out" "$S2S" train $TINY --out "$TMP/bad.model" $AUDIO

expect_status 0 "embed" "$S2S" embed --model "$TMP/a.model" "$F/speech_a.wav" "$F/speech_b.wav"
[ "$(wc -l <"$TMP/out")" -eq 2 ] && pass "one line per file" || fail "embed lines: $(wc -l <"$TMP/out")"
expect_grep '"vector": \[' "$TMP/out" "embed prints vectors"
printf 'speech_a.wav\t0.2\t0.8\nspeech_b.wav\t0.1\t0.5\n' >"$TMP/seg.tsv"
cp "$F/speech_a.wav" "$F/speech_b.wav" "$TMP/"
expect_status 0 "embed segments" "$S2S" embed --model "$TMP/a.model" --segments "$TMP/seg.tsv"
expect_grep '"start": 0.20, "end": 0.8' "$TMP/out" "segment times"
expect_status 1 "embed missing file" "$S2S" embed --model "$TMP/a.model" "$TMP/none.wav" "$F/speech_a.wav"
[ "$(wc -l <"$TMP/out")" -eq 1 ] && pass "good file done beside bad" || fail "good file not done"
finish
