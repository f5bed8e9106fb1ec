#!/usr/bin/env python3
"""Fits the slicer's per-slice cost model to measured slice prove times.

Reads the JSON lines of tests/bench/slice_costs (one per slice: its measured time on one
thread and slicer::slice_features), fits ms = sum_k c_k * feature_k (+ a constant per
slice) by non-negative least squares on relative errors over the slices of at least
MIN_MS (below it a slice is fixed costs and timer noise, and no partition turns on it), and prints the coefficients
(ns per element, ms per tensor or slice) for kSliceCost in common/slicer/slicer.cpp,
with how well the fit and the slicer's current estimate predict the measurements.
  taskset -c 0 build/tests/bench/slice_costs --threads 1 --slices 1,2,3,4,6 MODEL... > costs.jsonl
  tests/bench/fit_slice_cost.py costs.jsonl
Needs numpy.
"""
import json, sys
import numpy as np

# Feature, unit of its coefficient, scale from the feature's unit to milliseconds.
FEATURES = [("sumcheck", "ns", 1e-6), ("gather", "ns", 1e-6), ("committed", "ns", 1e-6), ("lookups", "ns", 1e-6),
            ("weights", "ns", 1e-6), ("table_entries", "ns", 1e-6), ("inputs_read", "ms", 1.0),
            ("input_elements", "ns", 1e-6), ("outputs_made", "ms", 1.0), ("output_elements", "ns", 1e-6),
            ("range_entries", "ns", 1e-6), ("range_table", "ns", 1e-6)]
FLOOR_MS = 10.0  # relative errors below this count as at this (timer noise, fixed costs)
MIN_MS = 5.0


def nnls(a, b, iters=500):
    """Lawson-Hanson active set: min |a x - b| with x >= 0."""
    m, n = a.shape
    x, passive = np.zeros(n), np.zeros(n, bool)
    w = a.T @ (b - a @ x)
    for _ in range(iters):
        if passive.all() or (w[~passive] <= 1e-12).all():
            break
        j = np.argmax(np.where(passive, -np.inf, w))
        passive[j] = True
        while True:
            z = np.zeros(n)
            z[passive] = np.linalg.lstsq(a[:, passive], b, rcond=None)[0]
            if (z[passive] > 0).all():
                x = z
                break
            neg = passive & (z <= 0)
            alpha = np.min(x[neg] / (x[neg] - z[neg]))
            x = x + alpha * (z - x)
            passive &= x > 1e-12
        w = a.T @ (b - a @ x)
    return x


def report(name, pred, y, rows):
    rel = (pred - y) / np.maximum(y, FLOOR_MS)
    r2 = 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)
    big = y >= 20
    worst = np.argmax(np.abs(rel) * big)
    print(f"{name}: R^2 {r2:.3f}; relative error over slices >= 20 ms: median {np.median(np.abs(rel[big])):.1%}, "
          f"worst {rel[worst]:+.1%} ({rows[worst]['model']} {rows[worst]['index']}/{rows[worst]['slices']})")


def main():
    rows = [json.loads(l) for f in sys.argv[1:] for l in open(f) if l.strip()]
    everything = rows
    rows = [r for r in rows if r["ms"] >= MIN_MS]
    y = np.array([r["ms"] for r in rows])
    x = np.array([[r[f] * s for f, _, s in FEATURES] + [1.0] for r in rows])
    wgt = 1.0 / np.maximum(y, FLOOR_MS)
    coef = nnls(x * wgt[:, None], y * wgt)
    print(f"{len(rows)} slices of {len({r['model'] for r in rows})} models (of {len(everything)} slices measured)")
    for (f, unit, _), c in zip(FEATURES, coef):
        print(f"  {f:16s} {c:10.3f} {unit}")
    print(f"  {'per slice':16s} {coef[-1]:10.3f} ms")
    print("  as kRates: {" + ", ".join(f"/*{f}*/ {c:.1f}" for (f, _, _), c in zip(FEATURES, coef)) + f", /*per_slice*/ {coef[-1]:.1f}}}")
    report("fit", x @ coef, y, rows)
    est = np.array([r["estimate_ms"] for r in rows])
    scale = np.sum(est * y * wgt ** 2) / np.sum((est * wgt) ** 2)
    report(f"slicer's estimate x {scale:.2f}", est * scale, y, rows)
    # The partitions the slices came from: how far the slowest slice is from the mean.
    by_cut = {}
    for r, p in zip(rows, x @ coef):
        by_cut.setdefault((r["model"], r["slices"]), []).append((r["ms"], p, r["estimate_ms"]))
    for (m, k), v in sorted(by_cut.items()):
        if k > 1 and max(t for t, _, _ in v) >= 50:
            print(f"  {m} in {k}: measured {' '.join(f'{t:.0f}' for t, _, _ in v)} ms; "
                  f"fit {' '.join(f'{p:.0f}' for _, p, _ in v)}; estimate {' '.join(f'{e:.0f}' for _, _, e in v)}")


if __name__ == "__main__":
    main()
