#!/usr/bin/env bash
# End-to-end: a CTC head trained with `s2s train --transcripts` on the three
# fixture recordings (a small model that learns them by heart) transcribes
# them exactly, greedy and with beam search, with word times in --json; a
# head added to a model trained without one, jointly or alone (--head-only:
# the vectors stay bit for bit); a model without a head, bad
# transcript files, missing and silent audio give clear errors or notes.
. "$S2S_TESTLIB"
F="$S2S_FIXTURES/audio"
cp "$F/speech_a.wav" "$F/speech_b.wav" "$F/speech_c.wav" "$TMP/"
AUDIO="$TMP/speech_a.wav $TMP/speech_b.wav $TMP/speech_c.wav"
printf 'speech_a.wav\topen the door please\nspeech_b.wav\tThe cat sat on the mat.\nspeech_c.wav\twe meet again on friday\n' >"$TMP/text.tsv"
HEAD="--hidden 64 --vector-dim 8 --batch 3 --threads 1 --seed 3 --lr 0.01 --validation 0 -q"

expect_status 0 "--help" "$S2S" transcribe --help
expect_grep "--beam" "$TMP/out" "help lists --beam"
expect_status 2 "no audio" "$S2S" transcribe
expect_status 2 "bad beam" "$S2S" transcribe --beam 0 "$TMP/speech_a.wav"

# A model without a head cannot transcribe.
expect_status 0 "train without head" "$S2S" train $HEAD --epochs 2 --out "$TMP/plain.model" $AUDIO
expect_status 1 "transcribe without head" "$S2S" transcribe --model "$TMP/plain.model" "$TMP/speech_a.wav"
expect_grep "plain.model: .*no CTC head" "$TMP/err" "says the model has no head"
expect_status 0 "info without head" "$S2S" model info "$TMP/plain.model"
expect_grep '"ctc_head": false' "$TMP/out" "info: no head"

# Trained with transcripts: a head, and the fixtures learnt by heart.
expect_status 0 "train with transcripts" "$S2S" train $HEAD --epochs 150 \
    --transcripts "$TMP/text.tsv" --out "$TMP/head.model" $AUDIO
expect_status 0 "info with head" "$S2S" model info "$TMP/head.model"
expect_grep '"ctc_head": true, "ctc_classes": 29' "$TMP/out" "info: head of 29 classes"
for beam in 1 8; do
    expect_status 0 "transcribe, beam $beam" "$S2S" transcribe --beam $beam --model "$TMP/head.model" $AUDIO
    expect_grep "speech_a.wav	open the door please$" "$TMP/out" "beam $beam: speech_a exact"
    expect_grep "speech_b.wav	the cat sat on the mat$" "$TMP/out" "beam $beam: speech_b exact (normalised)"
    expect_grep "speech_c.wav	we meet again on friday$" "$TMP/out" "beam $beam: speech_c exact"
done

# A lexicon: the words it holds come out as before; a word it lacks never
# comes out; a lexicon that cannot be used is named.
printf "Open\nthe\ndoor\nplease\ncat\nsat\non\nmat\nwe\nmeet\nagain\nFriday's\nfriday\n\xc3\x85ngstr\xc3\xb6m\n" >"$TMP/words.txt"
expect_status 0 "transcribe --lexicon" "$S2S" transcribe --lexicon "$TMP/words.txt" --model "$TMP/head.model" $AUDIO
expect_grep "speech_a.wav	open the door please$" "$TMP/out" "lexicon: speech_a exact"
expect_grep "speech_c.wav	we meet again on friday$" "$TMP/out" "lexicon: speech_c exact"
grep -v '^door$' "$TMP/words.txt" >"$TMP/nodoor.txt"
expect_status 0 "lexicon without door" env S2S_LEXICON="$TMP/nodoor.txt" "$S2S" transcribe --model "$TMP/head.model" "$TMP/speech_a.wav"
expect_grep "speech_a.wav	" "$TMP/out" "lexicon from S2S_LEXICON: transcribed"
if cut -f2 "$TMP/out" | tr ' ' '\n' | grep -qivxF -f "$TMP/nodoor.txt"; then
    fail "a word outside the lexicon came out: $(cat "$TMP/out")"
else
    pass "only lexicon words come out ($(cut -f2 "$TMP/out"))"
fi
expect_status 1 "missing lexicon" "$S2S" transcribe --lexicon "$TMP/no words.txt" --model "$TMP/head.model" "$TMP/speech_a.wav"
expect_grep "no words.txt: cannot open word list" "$TMP/err" "missing lexicon named"
printf '\n-- !\n' >"$TMP/empty.txt"
expect_status 1 "lexicon without words" "$S2S" transcribe --lexicon "$TMP/empty.txt" --model "$TMP/head.model" "$TMP/speech_a.wav"
expect_grep "empty.txt: no words in the word list" "$TMP/err" "empty lexicon named"

# A character language model: counted on text holding these sentences, it
# keeps the right transcripts; one that cannot be made is named; a model's
# own (MODEL.lm beside it) is read by default, $S2S_LM and --lm come before
# it, and --no-lm goes without.
printf 'Open the door, please!\nthe cat sat on\nthe mat. We meet again on Friday.\n' >"$TMP/prose.txt"
expect_status 0 "transcribe --lm" "$S2S" transcribe --lm "$TMP/prose.txt" --model "$TMP/head.model" $AUDIO
expect_grep "speech_a.wav	open the door please$" "$TMP/out" "lm: speech_a exact"
expect_grep "speech_c.wav	we meet again on friday$" "$TMP/out" "lm: speech_c exact"
expect_status 0 "transcribe --lm, other settings" "$S2S" transcribe --lm "$TMP/prose.txt" --lm-order 3 \
    --lm-weight 0.3 --lm-bonus 0 --beam 4 --model "$TMP/head.model" "$TMP/speech_b.wav"
expect_grep "speech_b.wav	the cat sat on the mat$" "$TMP/out" "lm, order 3: speech_b exact"
expect_status 2 "bad --lm-weight" "$S2S" transcribe --lm "$TMP/prose.txt" --lm-weight heavy "$TMP/speech_a.wav"
expect_status 2 "bad --lm-order" "$S2S" transcribe --lm "$TMP/prose.txt" --lm-order 11 "$TMP/speech_a.wav"
expect_status 1 "missing lm text" "$S2S" transcribe --lm "$TMP/no text.txt" --model "$TMP/head.model" "$TMP/speech_a.wav"
expect_grep "no text.txt: cannot open text" "$TMP/err" "missing lm text named"
expect_status 1 "lm text without letters" "$S2S" transcribe --lm "$TMP/empty.txt" --model "$TMP/head.model" "$TMP/speech_a.wav"
expect_grep "empty.txt: no letters in the text" "$TMP/err" "lm text without letters named"
cp "$TMP/head.model" "$TMP/own.model"
cp "$TMP/empty.txt" "$TMP/own.lm"
expect_status 0 "info names the model's own lm" "$S2S" model info "$TMP/own.model"
expect_grep '"language_model": ".*own.lm"' "$TMP/out" "info: the model's own lm"
expect_status 0 "info, no own lm" "$S2S" model info "$TMP/head.model"
expect_grep '"language_model": null' "$TMP/out" "info: no own lm"
expect_status 1 "the model's own lm is read" "$S2S" transcribe --model "$TMP/own.model" "$TMP/speech_a.wav"
expect_grep "own.lm: no letters in the text" "$TMP/err" "the model's own lm named"
expect_status 0 "--no-lm" "$S2S" transcribe --no-lm --model "$TMP/own.model" "$TMP/speech_a.wav"
expect_grep "speech_a.wav	open the door please$" "$TMP/out" "--no-lm: speech_a exact"
expect_status 0 "S2S_LM before the model's own" env S2S_LM="$TMP/prose.txt" "$S2S" transcribe --model "$TMP/own.model" "$TMP/speech_a.wav"
expect_status 0 "--lm before the model's own" "$S2S" transcribe --lm "$TMP/prose.txt" --model "$TMP/own.model" "$TMP/speech_a.wav"
expect_status 0 "empty S2S_LM: none" env S2S_LM= "$S2S" transcribe --model "$TMP/own.model" "$TMP/speech_a.wav"
expect_status 1 "index reads the model's own lm" "$S2S" index -q --db "$TMP/own.db" --model "$TMP/own.model" "$TMP/speech_a.wav"
expect_grep "own.lm: no letters in the text" "$TMP/err" "index names the model's own lm"
cp "$TMP/prose.txt" "$TMP/own.lm"
expect_status 0 "index with the model's own lm" "$S2S" index -q --db "$TMP/own.db" --model "$TMP/own.model" $AUDIO
expect_status 0 "text query on transcripts decoded with it" "$S2S" query -q --db "$TMP/own.db" --text \
    --text-score transcripts --tsv -k 1 "open the door"
expect_grep "speech_a.wav.*\[open the door\] please" "$TMP/out" "stored transcript found with its words"

# Word times: in order, inside the recording.
expect_status 0 "transcribe --json" "$S2S" transcribe --json --model "$TMP/head.model" "$TMP/speech_a.wav"
expect_grep '"text": "open the door please", "words": \[\{"word": "open", "start": ' "$TMP/out" "json words"
duration=$(soxi -D "$TMP/speech_a.wav" 2>/dev/null || echo 10)
if /usr/bin/python3 - "$TMP/out" "$duration" <<'EOF'; then pass "word times ordered and inside the file"; else fail "word times wrong: $(cat "$TMP/out")"; fi
import json, sys
words = json.loads(open(sys.argv[1]).readline())["words"]
times = [(w["start"], w["end"]) for w in words]
ok = len(words) == 4 and all(0 <= s <= e <= float(sys.argv[2]) + 0.05 for s, e in times)
ok = ok and all(times[i][1] <= times[i + 1][0] + 0.05 for i in range(3))
sys.exit(0 if ok else 1)
EOF

# A head added to the model trained without one.
expect_status 0 "add a head with --init" "$S2S" train $HEAD --epochs 150 --init "$TMP/plain.model" \
    --transcripts "$TMP/text.tsv" --out "$TMP/added.model" $AUDIO
expect_status 0 "transcribe with added head" "$S2S" transcribe --model "$TMP/added.model" "$TMP/speech_b.wav"
expect_grep "the cat sat on the mat$" "$TMP/out" "added head transcribes"

# A head trained alone on a fixed encoder: the vectors stay bit for bit.
# (250 epochs: in bf16, 150 left "ope the door please" on a CPU with AVX512-BF16.)
expect_status 0 "head only" "$S2S" train $HEAD --epochs 250 --threads 2 --head-only --ctc-hidden 32 \
    --init "$TMP/plain.model" --transcripts "$TMP/text.tsv" --out "$TMP/headonly.model" $AUDIO
"$S2S" embed --model "$TMP/plain.model" $AUDIO >"$TMP/vectors.plain"
"$S2S" embed --model "$TMP/headonly.model" $AUDIO >"$TMP/vectors.headonly"
cmp -s "$TMP/vectors.plain" "$TMP/vectors.headonly" && pass "head-only training leaves the vectors alone" ||
    fail "head-only training changed the vectors"
expect_status 0 "transcribe with head trained alone" "$S2S" transcribe --model "$TMP/headonly.model" "$TMP/speech_a.wav"
expect_grep "open the door please$" "$TMP/out" "head trained alone transcribes"
expect_status 1 "head only without transcripts" "$S2S" train $HEAD --epochs 1 --head-only --out "$TMP/z.model" $AUDIO
expect_grep "needs transcripts" "$TMP/err" "head only without transcripts explained"
# The projection alone (--projection-only): the vectors move, the encoder
# and the head do not, so the transcripts stay exactly as they were.
expect_status 0 "projection only" "$S2S" train $HEAD --epochs 20 --projection-only \
    --init "$TMP/headonly.model" --out "$TMP/proj.model" $AUDIO
"$S2S" embed --model "$TMP/proj.model" $AUDIO >"$TMP/vectors.proj"
[ -s "$TMP/vectors.proj" ] && ! cmp -s "$TMP/vectors.headonly" "$TMP/vectors.proj" &&
    pass "projection-only training moves the vectors" || fail "projection-only training left the vectors as they were"
"$S2S" transcribe --json --model "$TMP/headonly.model" $AUDIO >"$TMP/text.headonly"
"$S2S" transcribe --json --model "$TMP/proj.model" $AUDIO >"$TMP/text.proj"
[ -s "$TMP/text.proj" ] && cmp -s "$TMP/text.headonly" "$TMP/text.proj" && pass "projection-only training leaves the head's transcripts alone" ||
    fail "projection-only training changed the transcripts"
expect_status 2 "head only and projection only together" "$S2S" train $HEAD --head-only --projection-only \
    --transcripts "$TMP/text.tsv" --out "$TMP/z.model" $AUDIO
expect_status 2 "projection only with transcripts" "$S2S" train $HEAD --projection-only \
    --transcripts "$TMP/text.tsv" --out "$TMP/z.model" $AUDIO
expect_grep "keeps the CTC head fixed" "$TMP/err" "projection only with transcripts explained"

# A recording longer than the head trains on at once (15 s) with word
# times is cut between words into utterances, not left out.
sox "$F/speech_a.wav" "$F/speech_b.wav" "$F/speech_c.wav" "$F/speech_a.wav" "$F/speech_b.wav" \
    "$F/speech_c.wav" "$F/speech_a.wav" "$F/speech_b.wav" "$F/speech_c.wav" "$F/speech_a.wav" \
    "$F/speech_b.wav" "$F/speech_c.wav" "$TMP/long.wav"
printf 'long.wav\t0.2\t1.3\topen the door please\nlong.wav\t13.7\t14.9\twe meet again\nlong.wav\t16.8\t18.2\tthe cat sat on the mat\n' >"$TMP/long.tsv"
expect_status 0 "long recording with word times" "$S2S" train ${HEAD/-q/} --epochs 1 --init "$TMP/head.model" \
    --transcripts "$TMP/long.tsv" --out "$TMP/long.model" "$TMP/long.wav"
expect_grep "2 transcribed utterances for the CTC head" "$TMP/err" "cut between words into 2 utterances"
if grep -q "left out" "$TMP/err"; then fail "part of the long recording left out"; else pass "nothing left out"; fi
printf 'long.wav\tthe whole long recording at once\n' >"$TMP/longtext.tsv"
expect_status 0 "long recording with one text" "$S2S" train ${HEAD/-q/} --epochs 1 --init "$TMP/head.model" \
    --transcripts "$TMP/longtext.tsv" --out "$TMP/longtext.model" "$TMP/long.wav"
expect_grep "1 transcribed files longer than 1500 frames left out" "$TMP/err" "without word times a long recording is left out, and said"

# Bad and odd inputs.
sox -n -r 16000 -b 16 -c 1 "$TMP/silence.wav" trim 0 2 2>/dev/null
expect_status 1 "missing file among good" "$S2S" transcribe --model "$TMP/head.model" "$TMP/none.wav" "$TMP/speech_c.wav"
expect_grep "none.wav: " "$TMP/err" "missing file named"
expect_grep "we meet again on friday" "$TMP/out" "good file still transcribed"
expect_status 0 "silent file" "$S2S" transcribe --model "$TMP/head.model" "$TMP/silence.wav"
expect_grep "silence.wav: no speech recognised" "$TMP/err" "silence noted"
printf 'speech_a.wav\t0.1\t0.5\n' >"$TMP/bad.tsv"
expect_status 1 "bad transcript line" "$S2S" train $HEAD --epochs 1 --transcripts "$TMP/bad.tsv" --out "$TMP/x.model" $AUDIO
expect_grep "bad.tsv:1: expected file<TAB>text" "$TMP/err" "bad line named"
expect_status 1 "missing transcript file" "$S2S" train $HEAD --epochs 1 --transcripts "$TMP/nope.tsv" --out "$TMP/y.model" $AUDIO
expect_grep "nope.tsv: cannot open" "$TMP/err" "missing transcript file named"
finish
