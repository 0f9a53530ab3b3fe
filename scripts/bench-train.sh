#!/bin/sh
# Training and encoding throughput of s2s's autoencoder, side by side in one
# run with the PyTorch peer (../shared/peers/torch_ae_train.py, same shapes:
# D=39 input, H=256, batch 64, 60 frames, encoder + projection + decoder +
# output layer, Adam).  A benchmark, not a test: numbers depend on the load.
#
#   scripts/bench-train.sh [--steps N] [--repeat R] [--torch-threads "1 2"]
#
# s2s runs in both precisions of its matrix products (--precision): fp32
# (OpenBLAS sgemm) and bf16 (mixed precision: bf16 operands, fp32 sums,
# weights and Adam; AVX512-BF16 only, else that column says n/a).  Each
# configuration (s2s fp32, s2s bf16, torch; 1 and 2 threads) runs R times
# (default 3), interleaved so that a change of load hits all alike, and the
# medians are reported with the ratios: s2s/torch at 1 thread (target >=
# 1.5), s2s 2 threads / 1 thread (target >= 1.7), encoding s2s/torch (target
# >= 1.5); also the GFLOP/s the training step reaches (matrix products only,
# backward counted as twice the forward) beside the practical peak of the
# same products on 1024x1024 matrices (OpenBLAS sgemm for fp32, the bf16
# kernel for bf16) at the same thread count.  The torch columns are skipped
# when /usr/bin/python3 has no torch.  Default: 20 steps per measurement.
# --torch-threads 1 skips PyTorch at 2 threads, which on a loaded machine
# can take minutes per run (its OpenMP threads spin) and is no target.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
S2S=${S2S:-$ROOT/build/s2s}
PEER=${PEER:-$ROOT/../shared/peers/torch_ae_train.py}
[ -f "$PEER" ] || PEER=/work/shared/peers/torch_ae_train.py
PY=/usr/bin/python3
STEPS=20
REPEAT=3
TORCH_THREADS="1 2"
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) STEPS=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --torch-threads) TORCH_THREADS=$2; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$S2S" ] || { echo "no s2s binary at $S2S (build first: scripts/build.sh or cmake)" >&2; exit 1; }
OUT=$(mktemp -d /tmp/s2s-bench-train-XXXXXX)
trap 'rm -rf "$OUT"' EXIT
trap 'exit 130' INT TERM

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
HAVE_TORCH=0
if "$PY" -c 'import torch' 2>/dev/null && [ -f "$PEER" ]; then
  HAVE_TORCH=1
else
  echo "torch missing: PyTorch columns skipped" >&2
fi
r=1
while [ "$r" -le "$REPEAT" ]; do
  for t in 1 2; do
    for p in fp32 bf16; do
      echo "run $r/$REPEAT: s2s train --bench --precision $p --threads $t ..." >&2
      "$S2S" train --bench --precision "$p" --decoder-input previous --threads $t --hidden 256 \
          --batch 64 --bench-frames 60 --bench-steps "$STEPS" >>"$OUT/s2s.jsonl"
    done
    if [ "$HAVE_TORCH" = 1 ] && echo " $TORCH_THREADS " | grep -q " $t "; then
      echo "run $r/$REPEAT: torch peer, $t thread(s) ..." >&2
      "$PY" "$PEER" $t | tr '\n' ' ' | sed "s/^/$t /; s/\$/\n/" >>"$OUT/torch.txt"
    fi
  done
  r=$((r + 1))
done
echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$PY" - "$OUT" "$HAVE_TORCH" "$REPEAT" <<'PYEOF'
import json, re, statistics, sys
out, have_torch, repeat = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
nan = float("nan")
runs = [json.loads(l) for l in open(f"{out}/s2s.jsonl")]
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else nan
def s2s(prec, t, key):
    return med([r.get(key) for r in runs if r["precision"] == prec and r["threads"] == t])
# --precision bf16 falls back to fp32 on a CPU without AVX512-BF16
have_bf16 = any(r["precision"] == "bf16" for r in runs)
tr = {1: ([], []), 2: ([], [])}
if have_torch:
    for line in open(f"{out}/torch.txt"):
        t = int(line.split()[0])
        tr[t][0].append(float(re.search(r"([\d.]+) frames/s train", line).group(1)))
        tr[t][1].append(float(re.search(r"encode only: ([\d.]+) frames/s", line).group(1)))
torch_train = {t: med(tr[t][0]) for t in (1, 2)}
torch_enc = med(tr[1][1])
def cell(x, fmt="{:.0f}"):
    return "n/a" if x != x else fmt.format(x)
print(f"D=39 H=256 batch=64 T=60 frames (encoder + projection + decoder + output, Adam); "
      f"median of {repeat} interleaved runs each")
print(f"{'':26}{'s2s fp32':>10}{'s2s bf16':>10}{'torch':>10}{'fp32/torch':>12}{'bf16/torch':>12}")
rows = [(f"train frames/s, {t} thr", "train_frames_per_s", t, torch_train[t]) for t in (1, 2)]
rows.append(("encode frames/s, 1 thr", "encode_frames_per_s", 1, torch_enc))
for name, key, t, b in rows:
    a32 = s2s("fp32", t, key)
    a16 = s2s("bf16", t, key) if have_bf16 else nan
    print(f"{name:26}{cell(a32):>10}{cell(a16):>10}{cell(b):>10}"
          f"{cell(a32 / b, '{:.2f}'):>12}{cell(a16 / b, '{:.2f}'):>12}")
sc32 = s2s("fp32", 2, "train_frames_per_s") / s2s("fp32", 1, "train_frames_per_s")
sc16 = (s2s("bf16", 2, "train_frames_per_s") / s2s("bf16", 1, "train_frames_per_s")) if have_bf16 else nan
sct = torch_train[2] / torch_train[1]
print(f"{'2 threads / 1 thread':26}{cell(sc32, '{:.2f}'):>10}{cell(sc16, '{:.2f}'):>10}{cell(sct, '{:.2f}'):>10}"
      "   (target >= 1.7)")
print("targets: train s2s/torch at 1 thread >= 1.5, encode s2s/torch >= 1.5")
for t in (1, 2):
    g32, p32 = s2s("fp32", t, "train_gflops"), s2s("fp32", t, "sgemm_peak_gflops")
    line = (f"{t} thread(s): fp32 training step {g32:.1f} GFLOP/s, OpenBLAS sgemm 1024^3 {p32:.1f} "
            f"({100 * g32 / p32:.0f}% of it)")
    if have_bf16:
        g16, p16 = s2s("bf16", t, "train_gflops"), s2s("bf16", t, "bf16_peak_gflops")
        line += (f"; bf16 training step {g16:.1f} GFLOP/s, bf16 kernel 1024^3 {p16:.1f} "
                 f"({100 * g16 / p16:.0f}% of it)")
    print(line)
PYEOF
