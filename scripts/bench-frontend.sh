#!/usr/bin/env bash
# Frontend speed and memory (a benchmark, not a test: figures vary with the
# machine and its load). One thread; a file on disk to frames, in multiples of
# real time, for 16 kHz, 8 kHz and 44.1 kHz input (resampling included), side
# by side with torchaudio's Kaldi MFCC when Debian's python3-torchaudio is
# installed; then peak RSS on a 3-hour 48 kHz stereo file.
# usage: scripts/bench-frontend.sh [SECONDS (600)] [--no-long]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
long=1; [ "${2:-}" = "--no-long" ] && long=0
scripts/build.sh build >/dev/null
command -v /usr/bin/time >/dev/null || apt-get install -y -q time >/dev/null
work=$(mktemp -d /tmp/s2s-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
s2s=build/s2s
export OPENBLAS_NUM_THREADS=1

# Speech-like test signal: pink noise shaped by a slow on/off envelope.
sox -n -r 16000 -c 1 -b 16 "$work/a16k.wav" synth "$secs" pinknoise tremolo 3 80 vol 0.5
sox "$work/a16k.wav" -r 8000 "$work/a8k.wav"
sox "$work/a16k.wav" -r 44100 "$work/a44k.wav"

# best of three wall-clock runs of a command, in seconds
best_of_3() {
    local best=999999
    for _ in 1 2 3; do
        local t0 t1
        t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
        best=$(echo "$t1 - $t0" | bc -l | awk -v b="$best" '{print ($1 < b) ? $1 : b}')
    done
    echo "$best"
}
command -v bc >/dev/null || apt-get install -y -q bc >/dev/null

printf '%-40s %10s %12s\n' "input" "seconds" "x real time"
declare -A speed
for input in a16k a8k a44k; do
    for mode in raw model; do
        flags=(--raw); [ $mode = model ] && flags=(--no-norm)
        t=$(best_of_3 "$s2s" features -q "${flags[@]}" --format ark -o "$work/out.ark" "$work/$input.wav")
        x=$(echo "$secs / $t" | bc -l)
        speed[$input.$mode]=$x
        printf '%-40s %10.3f %12.0f\n' "s2s features $mode ${input}.wav" "$t" "$x"
    done
done

if /usr/bin/python3 -c 'import torchaudio' 2>/dev/null && [ -f ../shared/peers/torch_mfcc.py ]; then
    peer_line=$(/usr/bin/python3 ../shared/peers/torch_mfcc.py "$secs")
    echo "$peer_line"
    peer=$(echo "$peer_line" | sed -n 's/.*-> \([0-9.]*\)x real time.*/\1/p')
    printf 'ratio s2s raw 16 kHz / torchaudio: %.2f (target >= 3)\n' "$(echo "${speed[a16k.raw]} / $peer" | bc -l)"
else
    echo "torchaudio not installed (apt-get install python3-torchaudio): no peer ratio"
fi

if [ $long = 1 ]; then
    echo "making a 3-hour 48 kHz stereo 16-bit file..."
    sox -n -r 48000 -c 2 -b 16 "$work/long.wav" synth 10800 pinknoise tremolo 3 80 vol 0.5
    rm -f "$work/a16k.wav" "$work/a8k.wav" "$work/a44k.wav"
    /usr/bin/time -f '%M %e' -o "$work/time" "$s2s" features -q --no-norm --format ark -o "$work/long.ark" "$work/long.wav"
    read -r rss_kb wall < "$work/time"
    printf '3-hour 48 kHz stereo: peak RSS %.0f MB (target < 300), %.0f s wall, %.0fx real time\n' \
        "$(echo "$rss_kb / 1024" | bc -l)" "$wall" "$(echo "10800 / $wall" | bc -l)"
fi
