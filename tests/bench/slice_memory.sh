#!/usr/bin/env bash
# Peak memory of one-slice proofs against the slicer's features (the data its memory
# model, slicer::estimate_memory_bytes, is fitted to): for each model directory (holding
# model.onnx and input.json), one JSON line with the slice's features, the estimate and
# the peak RSS of `zkslice --threads 1 prove --jobs 1`.
#   tests/bench/slice_memory.sh build tests/data/corpus/age tests/data/corpus/mnist_gan ...
set -u
Z=${1:?usage: slice_memory.sh BUILD_DIR MODEL_DIR...}/circuits/zkslice
shift
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for d in "$@"; do
  n=$(basename "$d")
  w=$W/$n; mkdir -p "$w"
  "$Z" compile "$d/model.onnx" --out "$w/c" --slices 1 >/dev/null 2>&1 || continue
  /usr/bin/time -o "$w/rss" -f "%M" "$Z" --threads 1 prove "$w/c" --input "$d/input.json" --out "$w/b" --jobs 1 >/dev/null 2>&1
  [ -s "$w/b" ] || continue
  "$Z" inspect "$w/c" --json | python3 -c "
import json, sys
s = json.load(sys.stdin)['slices'][0]
print(json.dumps({'model': sys.argv[1], 'rss_mb': int(sys.argv[2]) / 1024, 'estimate_mb': s['memory_mb_est'], 'features': s['features']}))" "$n" "$(tail -1 "$w/rss")"
done
