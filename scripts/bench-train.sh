#!/bin/sh
# Training and encoding throughput of s2s's autoencoder, side by side in one
# run with the PyTorch peer (../shared/peers/torch_ae_train.py, same shapes:
# D=39 input, H=256, batch 64, 60 frames, encoder + projection + decoder +
# output layer, Adam).  A benchmark, not a test: numbers depend on the load.
#
#   scripts/bench-train.sh [--steps N]        (default 20 steps per measurement)
#
# Prints training frames/s at 1 and 2 threads, encoding frames/s, the
# GFLOP/s the training step reaches (matrix products only, backward counted
# as twice the forward), OpenBLAS's sgemm GFLOP/s on 1024x1024 matrices at
# the same thread count (the machine's practical peak), and the ratios:
# s2s/torch at 1 thread (target >= 1.5), s2s 2 threads / 1 thread (target
# >= 1.7), encoding s2s/torch (target >= 1.5).  The torch columns are
# skipped when /usr/bin/python3 has no torch.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
S2S=${S2S:-$ROOT/build/s2s}
PEER=${PEER:-$ROOT/../shared/peers/torch_ae_train.py}
[ -f "$PEER" ] || PEER=/work/shared/peers/torch_ae_train.py
PY=/usr/bin/python3
STEPS=20
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) STEPS=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$S2S" ] || { echo "no s2s binary at $S2S (build first: scripts/build.sh or cmake)" >&2; exit 1; }
OUT=$(mktemp -d /tmp/s2s-bench-train-XXXXXX)
trap 'rm -rf "$OUT"' EXIT

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for t in 1 2; do
  echo "s2s train --bench --threads $t ..." >&2
  "$S2S" train --bench --decoder-input previous --threads $t --hidden 256 --batch 64 --bench-frames 60 --bench-steps "$STEPS" >"$OUT/s2s$t.json"
done
HAVE_TORCH=0
if "$PY" -c 'import torch' 2>/dev/null && [ -f "$PEER" ]; then
  HAVE_TORCH=1
  for t in 1 2; do
    echo "torch peer, $t thread(s) ..." >&2
    "$PY" "$PEER" $t >"$OUT/torch$t.txt"
  done
else
  echo "torch missing: PyTorch columns skipped" >&2
fi

"$PY" - "$OUT" "$HAVE_TORCH" <<'PYEOF'
import json, re, sys
out, have_torch = sys.argv[1], sys.argv[2] == "1"
s = {t: json.load(open(f"{out}/s2s{t}.json")) for t in (1, 2)}
tr = {}
if have_torch:
    for t in (1, 2):
        txt = open(f"{out}/torch{t}.txt").read()
        tr[t] = (float(re.search(r"([\d.]+) frames/s train", txt).group(1)),
                 float(re.search(r"encode only: ([\d.]+) frames/s", txt).group(1)))
print("D=39 H=256 batch=64 T=60 frames (encoder + projection + decoder + output, Adam)")
print(f"{'':24}{'s2s':>12}{'torch':>12}{'s2s/torch':>11}")
for t in (1, 2):
    a = s[t]["train_frames_per_s"]
    b = tr[t][0] if have_torch else float("nan")
    print(f"train frames/s, {t} thr  {a:12.0f}{b:12.0f}{a / b:11.2f}")
a, b = s[1]["encode_frames_per_s"], (tr[1][1] if have_torch else float("nan"))
print(f"encode frames/s, 1 thr  {a:12.0f}{b:12.0f}{a / b:11.2f}")
print(f"s2s 2 threads / 1 thread: {s[2]['train_frames_per_s'] / s[1]['train_frames_per_s']:.2f}x (target >= 1.7)")
if have_torch:
    print(f"s2s / torch at 1 thread: {s[1]['train_frames_per_s'] / tr[1][0]:.2f}x (target >= 1.5); "
          f"encoding: {s[1]['encode_frames_per_s'] / tr[1][1]:.2f}x (target >= 1.5)")
for t in (1, 2):
    g, p = s[t]["train_gflops"], s[t]["sgemm_peak_gflops"]
    print(f"{t} thread(s): training step {g:.1f} GFLOP/s, OpenBLAS sgemm 1024^3 {p:.1f} GFLOP/s "
          f"({100 * g / p:.0f}% of peak)")
PYEOF
