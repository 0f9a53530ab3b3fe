#!/usr/bin/env bash
# Reliability: an indexing run killed with SIGKILL at 20 random moments never
# leaves a damaged index or half a recording, and a rerun completes with no
# duplicates; a query answers while an indexing run writes.
. "$S2S_TESTLIB"
DEMO="$S2S_DATA_DIR/demo"
mkdir -p "$TMP/rec"
i=0
for copy in 1 2 3; do   # 3 copies of the demo: more files, a longer run to interrupt
    for f in "$DEMO"/*.wav; do
        i=$((i + 1))
        cp "$f" "$TMP/rec/$(printf '%03d' $i) $(basename "$f")"
    done
done
num_files=$i
DB="$TMP/crash.db"
RANDOM=20261123
num_killed=0
for attempt in $(seq 1 20); do
    "$S2S" index -q -j 2 --db "$DB" "$TMP/rec"/*.wav >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 600)))"
    kill -9 $pid 2>/dev/null && num_killed=$((num_killed + 1))
    wait $pid 2>/dev/null
    # A run killed before its first commit leaves an SQLite file without
    # tables: nothing was indexed, stats says so, and the next run creates
    # the index in it (checked after the loop).
    if [ -f "$DB" ]; then
        "$S2S" stats --check --db "$DB" >"$TMP/out" 2>"$TMP/err" ||
            grep -q "is empty" "$TMP/err" || fail "attempt $attempt: $(cat "$TMP/err")"
    fi
done
pass "$num_killed of 20 runs killed mid-way, index checked after each"

expect_status 0 "rerun completes" "$S2S" index -q --db "$DB" "$TMP/rec"/*.wav
expect_status 0 "integrity after rerun" "$S2S" stats --check --json --db "$DB"
expect_grep "\"recordings\": $num_files," "$TMP/out" "every recording stored once"
crashed_segments=$(sed 's/.*"segments": \([0-9]*\), "bytes".*/\1/' "$TMP/out")
"$S2S" index -q --db "$TMP/clean.db" "$TMP/rec"/*.wav
clean_segments=$("$S2S" stats --json --db "$TMP/clean.db" | sed 's/.*"segments": \([0-9]*\), "bytes".*/\1/')
[ "$crashed_segments" = "$clean_segments" ] && pass "no duplicate segments ($clean_segments)" \
    || fail "segments $crashed_segments after crashes, $clean_segments clean"

# A query while an index run writes to the same file.
"$S2S" index -q -j 1 --db "$TMP/busy.db" "$DEMO/president_returned.wav"
"$S2S" index -q -j 1 --db "$TMP/busy.db" "$TMP/rec"/*.wav &
writer=$!
sleep 0.2
expect_status 0 "query during indexing" "$S2S" query --db "$TMP/busy.db" -k 3 "$DEMO/white_house.wav"
wait $writer && pass "writer finished" || fail "writer failed"
finish
