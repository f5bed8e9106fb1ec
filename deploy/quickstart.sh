#!/usr/bin/env bash
# The main command: installs what is missing, builds, and runs the most complete
# end-to-end path zkslice has today:
#   1. compile the default model (the age-estimation CNN shipped in tests/data/corpus/age)
#      into a quantized manifest of 4 slices;
#   2. run it with the integer executor (the semantics the proofs attest), whole and
#      slice by slice, and compare with onnxruntime's reference output;
#   3. prove all 4 slices (in parallel) into one bundle and verify the bundle offline
#      against the model fingerprint printed by the compiler;
#   4. the proof core on its own: Basefold-committed tables, a sumcheck, a batched
#      opening, verification, and rejection of false claims.
# Still to come (open issues): the miner and validator daemons and the local subnet
# of one validator and three miners (issues 7-9), private boundaries stitched by
# commitments (issue 5).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${ZKS_BUILD_DIR:-build}
OUT_DIR=${ZKS_OUT_DIR:-out/quickstart}
MODEL=tests/data/corpus/age

./deploy/install-deps.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZKS_CUDA="${ZKS_CUDA:-AUTO}" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target zkslice

ZKSLICE="$BUILD_DIR/circuits/zkslice"
mkdir -p "$OUT_DIR"
echo
echo "== 1. compile $MODEL/model.onnx into 4 slices"
"$ZKSLICE" compile "$MODEL/model.onnx" --out "$OUT_DIR/age" --slices 4 | tee "$OUT_DIR/compile.log"
FP=$(awk '/model fingerprint/ {print $3}' "$OUT_DIR/compile.log")
echo
echo "== 2. quantized inference, whole and slice by slice, against onnxruntime's output"
"$ZKSLICE" run "$OUT_DIR/age" --input "$MODEL/input.json" --reference "$MODEL/reference.json" --sliced
echo
echo "== 3. prove the 4 slices of the age model and verify the bundle"
"$ZKSLICE" prove "$OUT_DIR/age" --input "$MODEL/input.json" --out "$OUT_DIR/age.bundle"
"$ZKSLICE" verify "$OUT_DIR/age" "$OUT_DIR/age.bundle" --fp "$FP"
echo
echo "== 4. proof core: commit, prove, open, verify (2^20 elements, 3 tables)"
"$ZKSLICE" selftest --log-size 20 --degree 3
echo
echo "Still to come: the local subnet (validator + 3 miners) serving these proofs."
