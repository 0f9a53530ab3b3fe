#!/usr/bin/env bash
# End-to-end: transcripts and posteriors in the index and text queries, with
# a tiny model with a CTC head trained here until it knows the three fixture
# sentences (a couple of seconds): `s2s index` stores each recording's
# transcript and posteriors, `s2s query` shows the words around each hit
# (text, --json, --tsv), `s2s query --text` and `s2s eval --text` find
# written phrases (in the posteriors, or the transcripts when asked or when
# the index has only them), `s2s reindex` with a head model adds both; with a
# model without a head the output is as before and --text fails in one line.
. "$S2S_TESTLIB"
F="$S2S_FIXTURES/audio"
AUDIO="$F/speech_a.wav $F/speech_b.wav $F/speech_c.wav"
printf '%s\topen the door please\n%s\tthe cat sat on the mat\n%s\twe meet again on friday\n' \
    "$F/speech_a.wav" "$F/speech_b.wav" "$F/speech_c.wav" >"$TMP/transcripts.tsv"
COMMON="-q --hidden 32 --vector-dim 8 --batch 4 --threads 1 --seed 3 --validation 0"
# Trained in fp32 on every CPU, so the tiny model (whose exact scores are
# tested below) is the same everywhere: in bf16 (the default where the CPU
# has it) this seed's model scores "the cat sat" 0.972, not 1 (seeds 4 and 5
# give 1 in both).  Indexing and queries run in the default precision.
S2S_PRECISION=fp32 "$S2S" train $COMMON --epochs 150 --lr 0.01 --transcripts "$TMP/transcripts.tsv" \
    --out "$TMP/head.model" $AUDIO || fail "train the head model"
S2S_PRECISION=fp32 "$S2S" train $COMMON --epochs 2 --out "$TMP/plain.model" $AUDIO ||
    fail "train the plain model"
"$S2S" transcribe --model "$TMP/head.model" "$F/speech_b.wav" >"$TMP/heard"
expect_grep "cat sat on the mat" "$TMP/heard" "the tiny head model learnt its sentences"

# num_posteriors DB: how many recordings have stored posteriors.
num_posteriors() {
    python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from posteriors").fetchone()[0])' "$1"
}

# transcript_of DB NAME: the stored transcript of the recording NAME.wav.
transcript_of() {
    python3 -c '
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute(
    "select transcript from recordings where path like ?", ("%/" + sys.argv[2] + ".wav",)).fetchone()
print("NULL" if row is None or row[0] is None else row[0], end="")' "$1" "$2"
}

DB="$TMP/head.db"
expect_status 0 "index with a head model" "$S2S" index -q --db "$DB" --model "$TMP/head.model" $AUDIO
transcript_of "$DB" speech_a >"$TMP/ta"
expect_grep $'^[0-9]+\\.[0-9]{2}\t[0-9]+\\.[0-9]{2}\tdoor$' "$TMP/ta" "transcript stored as start<TAB>end<TAB>word"
[ "$(cut -f3 "$TMP/ta" | tr '\n' ' ')" = "open the door please " ] && pass "transcript words in order" ||
    fail "transcript: $(cat "$TMP/ta")"
awk -F'\t' 'NF != 3 || $1 > $2 || (NR > 1 && $1 < prev) { bad = 1 } { prev = $1 } END { exit bad }' "$TMP/ta" &&
    pass "times ordered" || fail "times out of order: $(cat "$TMP/ta")"

[ "$(num_posteriors "$DB")" = 3 ] && pass "posteriors stored" || fail "posteriors: $(num_posteriors "$DB")"

expect_status 0 "index --beam 8" "$S2S" index -q --db "$TMP/beam.db" --beam 8 --model "$TMP/head.model" $AUDIO
[ "$(transcript_of "$TMP/beam.db" speech_b | cut -f3 | tr '\n' ' ')" = "the cat sat on the mat " ] &&
    pass "beam search transcript stored" || fail "--beam 8: $(transcript_of "$TMP/beam.db" speech_b)"
printf 'the\ncat\nsat\non\nopen\ndoor\nplease\nwe\nmeet\nagain\nfriday\n' >"$TMP/nomat.txt"
expect_status 0 "index --lexicon" "$S2S" index -q --db "$TMP/lex.db" --lexicon "$TMP/nomat.txt" --model "$TMP/head.model" $AUDIO
words=$(transcript_of "$TMP/lex.db" speech_b | cut -f3 | tr '\n' ' ')
case " $words" in
*" the cat sat on the "*) ! echo " $words" | tr ' ' '\n' | grep -qvxF -e '' -f "$TMP/nomat.txt" &&
    pass "lexicon transcript: list words only ($words)" || fail "--lexicon: word outside the list: $words" ;;
*) fail "--lexicon transcript: $words" ;;
esac
expect_status 1 "index --lexicon missing" "$S2S" index -q --db "$TMP/nolex.db" --lexicon "$TMP/nope.txt" --model "$TMP/head.model" $AUDIO
expect_grep "nope.txt: cannot open word list" "$TMP/err" "missing lexicon named"
[ ! -e "$TMP/nolex.db" ] && pass "nothing indexed without the lexicon asked for" || fail "index made without its lexicon"
expect_status 0 "index --no-transcripts" "$S2S" index -q --db "$TMP/none.db" --no-transcripts --model "$TMP/head.model" $AUDIO
[ "$(transcript_of "$TMP/none.db" speech_b)" = NULL ] && pass "--no-transcripts stores none" ||
    fail "--no-transcripts stored: $(transcript_of "$TMP/none.db" speech_b)"

expect_status 0 "stats --json" "$S2S" stats --db "$DB" --json
expect_grep '"transcripts": 3\}$' "$TMP/out" "stats counts the transcripts"
expect_status 0 "stats" "$S2S" stats --db "$TMP/none.db"
expect_grep '^transcripts 0 of 3 recordings$' "$TMP/out" "stats says when there are none"

# Spoken query: each hit with the words around it.
expect_status 0 "spoken query" "$S2S" query -q --db "$DB" -k 3 "$F/speech_b.wav"
expect_grep 'speech_b\.wav  \| (the )?\[[a-z ]*cat[a-z ]*\]' "$TMP/out" "text output shows the hit's words"
expect_status 0 "spoken query --json" "$S2S" query -q --db "$DB" -k 3 --json "$F/speech_b.wav"
expect_grep '"file": "[^"]*speech_b.wav", .*"words": "[a-z ]*cat[a-z ]*", "context": "[^"]*\[' "$TMP/out" "json has words and context"
expect_status 0 "spoken query --tsv" "$S2S" query -q --db "$DB" -k 3 --tsv "$F/speech_b.wav"
[ "$(awk -F'\t' '{ print NF }' "$TMP/out" | sort -u)" = 7 ] && pass "tsv has a context column" ||
    fail "tsv columns: $(head -2 "$TMP/out")"

# Text queries.
expect_status 0 "query --text" "$S2S" query -q --db "$DB" --text --tsv "the cat sat" "Friday!" "zzzz qqq"
awk -F'\t' '$1 == "the cat sat" && $2 == 1' "$TMP/out" >"$TMP/first"
expect_grep $'speech_b\\.wav\t[0-9.]+\t[0-9.]+\t1\\.0000\t\\[the cat sat\\] on the' "$TMP/first" "phrase found, exact score 1, own words marked"
awk -F'\t' '$1 == "Friday!" && $2 == 1' "$TMP/out" >"$TMP/first"
expect_grep $'speech_c\\.wav\t.*\t1\\.0000\t.*\\[friday\\]' "$TMP/first" "phrase normalised (case, punctuation)"
awk -F'\t' '$1 == "zzzz qqq" && $6 >= 0.5' "$TMP/out" >"$TMP/none"
[ ! -s "$TMP/none" ] && pass "unrelated phrase: no hit scores 0.5" || fail "hits for zzzz qqq: $(cat "$TMP/none")"
# A text hit spans the word as the transcript places it (within 3 frames).
word=$(awk -F'\t' '$3 == "friday" { print $1, $2 }' <(transcript_of "$DB" speech_c))
for scoring in posteriors transcripts; do
    expect_status 0 "query --text --json ($scoring)" "$S2S" query -q --db "$DB" --text --text-score $scoring --json -k 1 "friday"
    hit=$(sed 's/.*"start": \([0-9.]*\), "end": \([0-9.]*\),.*/\1 \2/' "$TMP/out")
    echo "$word $hit" | awk '{ d1 = $1 - $3; d2 = $2 - $4; exit !(d1 * d1 < 0.001 && d2 * d2 < 0.001) }' &&
        pass "$scoring: the hit spans the word ($word ~ $hit)" || fail "$scoring: hit $hit, word $word"
done
expect_status 0 "misspelt phrase" "$S2S" query -q --db "$DB" --text -k 1 "the kat sad"
expect_grep ' 1  0\.[0-9]+  .*speech_b\.wav' "$TMP/out" "misspelt phrase still ranks the right recording first, score below 1"
expect_status 0 "query --text --per-file" "$S2S" query -q --db "$DB" --text --per-file --tsv -k 10 "the"
[ "$(cut -f3 "$TMP/out" | sort | uniq -d | wc -l)" -eq 0 ] && pass "--per-file: one hit per recording" ||
    fail "--per-file repeated a file: $(cat "$TMP/out")"
expect_status 0 "query --text --stdlist" "$S2S" query -q --db "$DB" --text --stdlist "door please"
expect_grep '<term file="speech_a" channel="1" tbeg="[0-9.]+" dur="[0-9.]+" score="1.0000" decision="YES"/>' "$TMP/out" "stdlist output"
expect_status 2 "query --text without a phrase" "$S2S" query --db "$DB" --text
expect_status 1 "a phrase without letters among good ones" "$S2S" query -q --db "$DB" --text "?!" friday
expect_grep '^s2s: \?!: no letter or digit to search for$' "$TMP/err" "the empty phrase is named"
expect_grep '\[friday\]' "$TMP/out" "the other phrase is answered"

expect_status 0 "query --text reports its scoring" "$S2S" query --db "$DB" --text -k 1 "the cat"
expect_grep "in 3 recordings' posteriors" "$TMP/err" "posteriors searched by default"
expect_status 0 "query --text-score transcripts" "$S2S" query --db "$DB" --text --text-score transcripts --tsv -k 1 "the cat sat"
expect_grep "in 3 recordings' transcripts" "$TMP/err" "transcripts searched when asked"
expect_grep $'speech_b\\.wav\t[0-9.]+\t[0-9.]+\t1\\.0000' "$TMP/out" "transcripts: phrase found with score 1"
expect_status 2 "bad --text-score" "$S2S" query --db "$DB" --text --text-score bogus "the cat"
# An index with transcripts but no posteriors (as an older s2s wrote it).
cp "$DB" "$TMP/old.db"
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("delete from posteriors"); c.commit()' "$TMP/old.db"
expect_status 0 "transcripts only: --text" "$S2S" query --db "$TMP/old.db" --text -k 1 "friday"
expect_grep "transcripts" "$TMP/err" "transcripts only: searched"
expect_grep '\[friday\]' "$TMP/out" "transcripts only: found"
expect_status 1 "transcripts only: --text-score posteriors" "$S2S" query --db "$TMP/old.db" --text --text-score posteriors "friday"
expect_grep 'no posteriors' "$TMP/err" "transcripts only: posteriors refused with a reason"

printf 'door_please\tspeech_a\nfriday\tspeech_c\nthe_mat\tspeech_b\n' >"$TMP/truth.tsv"
expect_status 0 "eval --text" "$S2S" eval -q --db "$DB" --text --truth "$TMP/truth.tsv" door_please friday "$TMP/the_mat.wav"
expect_grep '^queries=3 MAP=1\.000 ' "$TMP/out" "eval --text ranks the right recordings first"
expect_status 0 "eval --text --text-score transcripts" "$S2S" eval -q --db "$DB" --text --text-score transcripts --truth "$TMP/truth.tsv" door_please friday the_mat
expect_grep '^queries=3 MAP=1\.000 ' "$TMP/out" "eval --text on transcripts too"
printf 'door_please\tspeech_b\nfriday\tspeech_a\n' >"$TMP/wrong.tsv"
expect_status 0 "eval --text, wrong truth" "$S2S" eval -q --db "$DB" --text --truth "$TMP/wrong.tsv" door_please friday
expect_grep '^queries=2 MAP=0\.[0-6]' "$TMP/out" "eval --text scores a wrong truth low"

# A model without a head: no transcripts, output as before, --text refused.
PLAIN="$TMP/plain.db"
expect_status 0 "index without a head" "$S2S" index -q --db "$PLAIN" --model "$TMP/plain.model" $AUDIO
[ "$(transcript_of "$PLAIN" speech_a)" = NULL ] && pass "no transcript stored" || fail "a transcript was stored"
[ "$(num_posteriors "$PLAIN")" = 0 ] && pass "no posteriors stored" || fail "posteriors stored without a head"
expect_status 0 "spoken query, no transcripts" "$S2S" query -q --db "$PLAIN" -k 3 --tsv "$F/speech_b.wav"
[ "$(awk -F'\t' '{ print NF }' "$TMP/out" | sort -u)" = 6 ] && pass "tsv without a context column" ||
    fail "tsv columns: $(head -2 "$TMP/out")"
expect_status 0 "spoken query --json, no transcripts" "$S2S" query -q --db "$PLAIN" --json "$F/speech_b.wav"
grep -q '"context"' "$TMP/out" && fail "json has context without transcripts" || pass "json without context"
expect_status 0 "spoken query text, no transcripts" "$S2S" query -q --db "$PLAIN" "$F/speech_b.wav"
grep -q ' | ' "$TMP/out" && fail "context shown without transcripts" || pass "text output without context"
expect_status 1 "query --text without transcripts" "$S2S" query --db "$PLAIN" --text "the cat"
[ "$(wc -l <"$TMP/err")" -eq 1 ] && pass "one line on stderr" || fail "stderr: $(cat "$TMP/err")"
expect_grep '^s2s: .*plain\.db: the index has no transcripts: .*without a CTC head' "$TMP/err" "the error says why"
[ ! -s "$TMP/out" ] && pass "nothing on stdout" || fail "stdout: $(cat "$TMP/out")"
expect_status 1 "eval --text without transcripts" "$S2S" eval -q --db "$PLAIN" --text --truth "$TMP/truth.tsv" friday
expect_grep 'no transcripts' "$TMP/err" "eval --text says why"

# Re-embedding with a head model adds the transcripts.
expect_status 0 "reindex with a head model" "$S2S" reindex -q --db "$PLAIN" --model "$TMP/head.model"
[ "$(transcript_of "$PLAIN" speech_c | cut -f3 | tr '\n' ' ')" = "we meet again on friday " ] &&
    pass "reindex stored the transcripts" || fail "after reindex: $(transcript_of "$PLAIN" speech_c)"
[ "$(num_posteriors "$PLAIN")" = 3 ] && pass "reindex stored the posteriors" || fail "after reindex: $(num_posteriors "$PLAIN") posteriors"
expect_status 0 "query --text after reindex" "$S2S" query -q --db "$PLAIN" --text -k 1 "meet again"
expect_grep 'speech_c\.wav  \| we \[meet again\] on' "$TMP/out" "text query after reindex"
finish
