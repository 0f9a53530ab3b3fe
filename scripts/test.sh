#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test (Check
# unit tests and CLI end-to-end tests, through ctest), then builds again with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs every test there too.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/build.sh build
(cd build && ctest --output-on-failure -j"$jobs")

scripts/build.sh build-sanitize -DS2S_SANITIZE=ON
# detect_leaks: LeakSanitizer needs ptrace, which some sandboxes refuse.
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j"$jobs")
