#!/usr/bin/env python3
"""Linear prediction on a folder of 16-bit mono WAV files: what a predictor of the next sample
from the ones before it gives, in bits per sample, as a yardstick for the speech model.

  * "per file": a causal order-32 predictor fitted (least squares) on the whole file, each
    residual coded with a Laplace distribution whose scale is an exponential average of the
    residuals before it, exactly, by the mass of each sample's value; also split by the
    4 base-16 digits of an Upscale ARDM with b = 16 (each digit given the ones above it).
  * "per block": order 16 refitted on every 256 samples with the block's own samples (the
    coefficients cost nothing here, so it is a bound no real coder reaches), Laplace of the
    block's mean absolute residual, by the continuous approximation.

    python3 bench/lpc_baseline.py FOLDER      (e.g. from `build/ardm audio --data speech --split valid --out F`)
Needs numpy.
"""
import glob
import sys
import wave

import numpy as np


def samples(path):
    w = wave.open(path)
    return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)


def laplace_cdf(z, m, b):
    t = (z - m) / b
    return np.where(t < 0, 0.5 * np.exp(np.minimum(t, 0)), 1 - 0.5 * np.exp(-np.maximum(t, 0)))


def per_file(x, p=32):
    A = np.stack([x[p - k - 1:len(x) - k - 1] for k in range(p)], 1)
    y = x[p:]
    c = np.linalg.lstsq(A, y, rcond=None)[0]
    mu = A @ c
    r = y - mu
    scale = np.empty_like(r)
    s = 50.0
    for i in range(len(r)):
        scale[i] = max(s, 0.6)
        s = 0.97 * s + 0.03 * abs(r[i])
    v = (y + 32768).astype(np.int64)
    m = mu + 32768
    lo, hi = np.zeros_like(v), np.full_like(v, 65536)
    bits = np.zeros(4)
    for stage in range(4):
        width = (hi - lo) // 16
        a = lo + (v - lo) // width * width
        p_digit = laplace_cdf(a + width - 0.5, m, scale) - laplace_cdf(a - 0.5, m, scale)
        p_bucket = laplace_cdf(hi - 0.5, m, scale) - laplace_cdf(lo - 0.5, m, scale)
        q = np.minimum(np.maximum(p_digit, 1e-12) / np.maximum(p_bucket, 1e-12), 1.0)
        bits[stage] = -np.log2(q * (1 - 16e-6) + 1e-6).sum()
        lo, hi = a, a + width
    return bits, len(y)


def per_block(x, p=16, block=256):
    A = np.stack([x[p - k - 1:len(x) - k - 1] for k in range(p)], 1)
    y = x[p:]
    total = 0.0
    for s in range(0, len(y), block):
        Ab, yb = A[s:s + block], y[s:s + block]
        c = np.linalg.lstsq(Ab, yb, rcond=None)[0] if len(yb) > p else np.zeros(p)
        r = yb - Ab @ c
        b = max(np.abs(r).mean(), 0.3)
        total += (np.log2(2 * b) + np.abs(r) / b * np.log2(np.e)).sum() if b > 1 else len(r) * 1.6
    return total


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    files = sorted(glob.glob(sys.argv[1] + "/*.wav"))
    stage_bits, block_bits, n = np.zeros(4), 0.0, 0
    for f in files:
        x = samples(f)
        if len(x) < 200:
            continue
        b, count = per_file(x)
        stage_bits += b
        block_bits += per_block(x)
        n += count
    print(f"{len(files)} files, {n} samples (the first 32 of each left out)")
    print(f"per file, order 32, adaptive Laplace: {stage_bits.sum() / n:.3f} bits per sample; by digit (b = 16): "
          + ", ".join(f"{b / n:.3f}" for b in stage_bits))
    print(f"per block of 256, order 16, coefficients free: {block_bits / n:.3f} bits per sample")


if __name__ == "__main__":
    main()
