#!/usr/bin/env python3
"""Fits the slicer's cost model to measured prove times.

For every corpus model that docs/models.md (its proofs part) lists as proved in one slice, compiles it
with `zkslice compile --slices 1 --json` (the slicer's estimate) and fits
measured = a + b * estimate by least squares over the models whose estimate is not
zero (layout-only models commit nothing). Prints the fit and its R^2; the slicer's
kMeasuredScale is b (common/slicer/slicer.cpp).
  tests/bench/calibrate_cost.py build/circuits/zkslice
"""
import json, os, re, subprocess, sys, tempfile

zkslice = sys.argv[1] if len(sys.argv) > 1 else "build/circuits/zkslice"
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
measured = {}
for line in open(os.path.join(root, "docs/models.md")):
    m = re.match(r"\| (\S+) \| yes \| 1 \| (\d+) \|", line)
    if m:
        measured[m.group(1)] = float(m.group(2))
xs, ys = [], []
with tempfile.TemporaryDirectory() as work:
    for name in sorted(measured):
        model = os.path.join(root, "tests/data/corpus", name, "model.onnx")
        out = subprocess.run([zkslice, "compile", model, "--out", os.path.join(work, name), "--slices", "1", "--json"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            continue
        est = sum(s["prove_ms_est"] for s in json.loads(out.stdout)["slices"])
        if est > 0.01:
            xs.append(est), ys.append(measured[name])
n = len(xs)
mx, my = sum(xs) / n, sum(ys) / n
b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
a = my - b * mx
st = sum((y - my) ** 2 for y in ys)
r2 = 1 - sum((y - a - b * x) ** 2 for x, y in zip(xs, ys)) / st
print(f"{n} models: measured = {a:.1f} ms + {b:.3f} x estimate, R^2 {r2:.3f}")
