# Shared helpers of the CLI end-to-end tests. Sourced by tests/cli/test_*.sh,
# which ctest runs with S2S (the binary), S2S_FIXTURES and S2S_DATA_DIR set.
set -u
: "${S2S:?S2S must name the s2s binary}"
TMP=$(mktemp -d /tmp/s2s-cli-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
num_failed=0
num_passed=0

# pass/fail NAME: record one check's outcome.
pass() { num_passed=$((num_passed + 1)); echo "ok   - $1"; }
fail() { num_failed=$((num_failed + 1)); echo "FAIL - $1"; }

# expect_status WANT NAME CMD...: runs CMD, stdout to $TMP/out, stderr to $TMP/err.
expect_status() {
    local want=$1 name=$2; shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    local got=$?
    if [ "$got" -eq "$want" ]; then pass "$name (exit $got)"; else
        fail "$name: exit $got, wanted $want; stderr: $(head -c 400 "$TMP/err")"; fi
}

# expect_grep PATTERN FILE NAME: FILE contains PATTERN (extended regex).
expect_grep() {
    if grep -Eq -- "$1" "$2"; then pass "$3"; else fail "$3: no /$1/ in $(head -c 400 "$2")"; fi
}

# index_demo DB: copies the demo recordings to $TMP/demo (NUM: how many)
# and indexes them into DB with the shipped model (MODEL) on 2 threads.
index_demo() {
    mkdir -p "$TMP/demo"
    cp "$S2S_DATA_DIR"/demo/*.wav "$TMP/demo/"
    NUM=$(ls "$TMP/demo"/*.wav | wc -l)
    MODEL="$S2S_DATA_DIR/s2s-default.model"
    expect_status 0 "index the demo" "$S2S" index -q --db "$1" --model "$MODEL" -j 2 "$TMP"/demo/*.wav
}

# finish: prints the tally and exits non-zero when anything failed.
finish() {
    echo "$num_passed passed, $num_failed failed"
    [ "$num_failed" -eq 0 ]
}
