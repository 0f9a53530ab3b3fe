#!/usr/bin/python3
"""Computes the MFCC reference the frontend is tested against, with
torchaudio's Kaldi-compatible MFCC (Debian's python3-torchaudio), and writes
it as text fixtures, so the tests themselves need no torch.

usage: scripts/make-mfcc-reference.py AUDIO.wav... > (writes tests/fixtures/mfcc_ref/NAME.txt)
Each output: a line "ROWS COLS", then one line of COLS values per frame."""
import os, sys
import torch, torchaudio

out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "mfcc_ref")
os.makedirs(out_dir, exist_ok=True)
for path in sys.argv[1:]:
    w, sr = torchaudio.load(path)  # float in [-1, 1], as the reference call wants
    assert sr == 16000 and w.shape[0] == 1, f"{path}: the reference needs 16 kHz mono"
    mfcc = torchaudio.compliance.kaldi.mfcc(w * 32768, sample_frequency=16000, num_mel_bins=23,
                                            num_ceps=13, use_energy=True, energy_floor=0.0, dither=0.0)
    name = os.path.splitext(os.path.basename(path))[0]
    with open(os.path.join(out_dir, name + ".txt"), "w") as f:
        f.write(f"{mfcc.shape[0]} {mfcc.shape[1]}\n")
        for row in mfcc.tolist():
            f.write(" ".join(f"{v:.6f}" for v in row) + "\n")
    print(f"{name}: {mfcc.shape[0]} frames, torchaudio {torchaudio.__version__}", file=sys.stderr)
