#!/usr/bin/env bash
# End-to-end: `s2s features` on good and bad input — output formats, exit
# statuses, one-line errors naming the file, good files processed beside bad.
. "$S2S_TESTLIB"
A="$S2S_FIXTURES/audio/speech_a.wav"

expect_status 0 "--help" "$S2S" features --help
expect_grep "--format" "$TMP/out" "help lists options"
expect_status 0 "--version" "$S2S" --version
expect_status 2 "unknown option" "$S2S" features --bogus "$A"
expect_status 2 "no file" "$S2S" features --raw
expect_status 2 "unknown format" "$S2S" features --raw --format mp3 "$A"
expect_status 2 "unknown command" "$S2S" frobnicate

expect_status 0 "raw ark-text" "$S2S" features --raw "$A"
expect_grep "^speech_a  \[" "$TMP/out" "ark-text key"
rows=$(grep -c '^  ' "$TMP/out")
cols=$(sed -n 2p "$TMP/out" | wc -w)
[ "$rows" -gt 100 ] && [ "$cols" -eq 13 ] && pass "ark-text has ${rows}x13" || fail "ark-text shape ${rows}x${cols}"

expect_status 0 "raw ark binary" "$S2S" features --raw --format ark -o "$TMP/a.ark" "$A"
head -c 15 "$TMP/a.ark" | od -c | grep -q 'B   F   M' && pass "binary ark header" || fail "binary ark header"
size=$(stat -c %s "$TMP/a.ark")
[ "$size" -eq $((9 + 5 + 10 + rows * 13 * 4)) ] && pass "binary ark size" || fail "binary ark size $size"

expect_status 0 "npy" "$S2S" features --raw --format npy -o "$TMP/a.npy" "$A"
head -c 80 "$TMP/a.npy" | grep -aq "'shape': ($rows, 13)" && pass "npy shape" || fail "npy header"

expect_status 0 "model frames, no norm" "$S2S" features --no-norm "$A"
cols=$(sed -n 2p "$TMP/out" | wc -w)
[ "$cols" -eq 39 ] && pass "39 values a frame" || fail "model frames have $cols values"

# Normalised model frames (the shipped model's statistics): 39 values, mostly within a few units.
expect_status 0 "model frames, normalised" "$S2S" features --format ark-text "$A"
big=$(sed '1d;$d' "$TMP/out" | tr ' ' '\n' | grep -v '^$' | awk '($1 > 8 || $1 < -8) {n++} END {print n + 0}')
[ "$big" -lt 100 ] && pass "normalised values are small ($big beyond 8)" || fail "$big values beyond 8"
expect_status 1 "missing model" "$S2S" features --model "$TMP/none.model" "$A"
expect_grep "none.model: cannot open model" "$TMP/err" "missing model named"

# Bad inputs among good ones: each named on one line, the good one done, exit 1.
: > "$TMP/empty.wav"
echo "not audio at all" > "$TMP/text.wav"
head -c 30 "$A" > "$TMP/truncated.wav"
sox -n -r 16000 -b 16 "$TMP/silence.wav" trim 0 1
sox -n -r 4000 -b 16 "$TMP/4k.wav" synth 1 sine 300
sox -n -r 192000 -b 24 "$TMP/192k.wav" synth 1 sine 300
sox -n -r 48000 -c 6 -b 16 "$TMP/6ch.wav" synth 1 sine 300
cp "$A" "$TMP/Maison Blanche – été.wav"
expect_status 1 "bad among good" "$S2S" features --raw --format ark -o "$TMP/mix.ark" \
    "$TMP/empty.wav" "$A" "$TMP/text.wav" "$TMP/missing.wav" "$TMP/truncated.wav"
[ "$(grep -c '^s2s: ' "$TMP/err")" -eq 4 ] && pass "one error line per bad file" || fail "stderr: $(cat "$TMP/err")"
expect_grep "empty.wav: empty file" "$TMP/err" "empty named"
expect_grep "text.wav: not a readable audio file" "$TMP/err" "text named"
expect_grep "missing.wav: No such file" "$TMP/err" "missing named"
expect_grep "truncated.wav: not a readable audio file" "$TMP/err" "truncated named"
grep -aq "speech_a " "$TMP/mix.ark" && pass "good file written" || fail "good file missing from output"

expect_status 0 "odd inputs" "$S2S" features --raw -q "$TMP/silence.wav" "$TMP/4k.wav" "$TMP/192k.wav" \
    "$TMP/6ch.wav" "$TMP/Maison Blanche – été.wav"
grep -Eqi 'nan|inf' "$TMP/out" && fail "NaN or inf in output" || pass "all values finite"
expect_grep "^Maison_Blanche_–_été  \[" "$TMP/out" "key from a path with spaces"

expect_status 1 "unwritable output" "$S2S" features --raw -o /nonexistent/dir/out.ark "$A"
expect_grep "/nonexistent/dir/out.ark: cannot open for writing" "$TMP/err" "unwritable named"
if [ -w /dev/full ]; then
    expect_status 1 "full device" "$S2S" features --raw -o /dev/full "$A"
fi

# VAD: speech found in speech padded by silence, nothing in silence.
sox "$TMP/silence.wav" "$A" "$TMP/silence.wav" "$TMP/padded.wav"
expect_status 0 "vad on padded speech" "$S2S" features --vad "$TMP/padded.wav"
# speech_a's own speech starts at 0.15 s, so after a second of silence at ~1.15 s.
expect_grep '"start": 1\.[0-2]' "$TMP/out" "speech starts after the silence"
expect_status 0 "vad on silence" "$S2S" features --vad "$TMP/silence.wav"
[ ! -s "$TMP/out" ] && pass "no speech in silence" || fail "speech in silence: $(cat "$TMP/out")"
finish
