#!/usr/bin/env bash
# The main command: installs what is missing, builds, and runs a local subnet proving
# the default model (the age-estimation CNN shipped in tests/data/corpus/age):
#   1. compile it into a quantized, sealed manifest of 4 slices (model fingerprint FP);
#   2. run it with the integer executor against onnxruntime's reference output;
#   3. start three miners and a validator on 127.0.0.1 with fresh keys (the miners
#      register themselves), send a few inference requests with `zkslice infer`
#      (each answer's bundle is verified offline and checked to answer the input sent,
#      and once more with `zkslice verify` pinning FP and the input), print the
#      outputs, the per-slice timings and the miners' weights;
#   4. the selfie case: the model's answer proved on this machine in zero knowledge
#      (`zkslice prove --private`: the input is not in the proof) and verified, FP pinned;
#   5. stop everything it started (unless --keep-running: then the subnet stays up,
#      its addresses printed, until Ctrl-C).
# Options: --requests N (default 3), --keep-running. Logs go to out/quickstart/.
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=3
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) REQUESTS=$2; shift 2 ;;
    --keep-running) KEEP=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

BUILD_DIR=${ZKS_BUILD_DIR:-build}
OUT_DIR=${ZKS_OUT_DIR:-out/quickstart}
MODEL=tests/data/corpus/age

./deploy/install-deps.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZKS_CUDA="${ZKS_CUDA:-AUTO}" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target zkslice zkslice-miner zkslice-validator

ZKSLICE="$BUILD_DIR/circuits/zkslice"
MINER="$BUILD_DIR/miner/zkslice-miner"
VALIDATOR="$BUILD_DIR/validator/zkslice-validator"
rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"
PIDS=()
stop_all() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT

# Waits (at most 30 s) for a daemon's ready file; prints host:port.
wait_ready() {
  for _ in $(seq 300); do
    [ -s "$1" ] && { cat "$1"; return 0; }
    sleep 0.1
  done
  echo "error: $2 did not start; see $OUT_DIR/$2.log" >&2
  exit 1
}

echo
echo "== 1. compile $MODEL/model.onnx into 4 slices"
"$ZKSLICE" compile "$MODEL/model.onnx" --out "$OUT_DIR/age" --slices 4 | tee "$OUT_DIR/compile.log"
FP=$(awk '/model fingerprint/ {print $3}' "$OUT_DIR/compile.log")
MODEL_ID=$(awk '/manifest id/ {print $3}' "$OUT_DIR/compile.log")
echo
echo "== 2. quantized inference against onnxruntime's output"
"$ZKSLICE" run "$OUT_DIR/age" --input "$MODEL/input.json" --reference "$MODEL/reference.json"
echo
echo "== 3. a local subnet: one validator, three miners (fresh keys, loopback)"
"$ZKSLICE" keygen --out "$OUT_DIR/validator.key" >/dev/null
"$VALIDATOR" --key "$OUT_DIR/validator.key" --listen 127.0.0.1:0 --data-dir "$OUT_DIR/validator-data" \
  --model "$OUT_DIR/age" --k 2 --epoch-s 2 --bench-idle-s 0 --ready-file "$OUT_DIR/validator.ready" \
  >"$OUT_DIR/validator.log" 2>&1 &
PIDS+=($!)
VADDR=$(wait_ready "$OUT_DIR/validator.ready" validator)
echo "validator $VADDR"
for i in 1 2 3; do
  "$ZKSLICE" keygen --out "$OUT_DIR/miner$i.key" >/dev/null
  "$MINER" --key "$OUT_DIR/miner$i.key" --listen 127.0.0.1:0 --data-dir "$OUT_DIR/miner$i-data" --workers 1 \
    --register "$VADDR" --register-interval-s 5 --ready-file "$OUT_DIR/miner$i.ready" >"$OUT_DIR/miner$i.log" 2>&1 &
  PIDS+=($!)
  echo "miner $i $(wait_ready "$OUT_DIR/miner$i.ready" miner$i)"
done
for _ in $(seq 100); do
  [ "$("$ZKSLICE" weights --validator "$VADDR" --json | grep -c '"uid"')" -ge 3 ] && break
  sleep 0.1
done
echo
for r in $(seq "$REQUESTS"); do
  echo "-- request $r: zkslice infer (the bundle is verified offline before the answer is shown)"
  "$ZKSLICE" infer --validator "$VADDR" --model "$MODEL_ID" --input "$MODEL/input.json" \
    --out "$OUT_DIR/answer$r.bundle" --save-model "$OUT_DIR/fetched" --fp "$FP"
done
echo
echo "-- the last bundle, verified again with the model fingerprint pinned and the input it answers"
"$ZKSLICE" verify "$OUT_DIR/fetched" "$OUT_DIR/answer$REQUESTS.bundle" --fp "$FP" --input "$MODEL/input.json"
echo
echo "-- the miners' scores and weights (after the next epoch)"
sleep 2.5
"$ZKSLICE" weights --validator "$VADDR"
echo
echo "== 4. the selfie case: the answer proved on this machine in zero knowledge (the input stays here)"
"$ZKSLICE" prove "$OUT_DIR/age" --input "$MODEL/input.json" --out "$OUT_DIR/private.zkp" --private
"$ZKSLICE" verify "$OUT_DIR/age" "$OUT_DIR/private.zkp" --fp "$FP"
if [ "$KEEP" = 1 ]; then
  echo
  echo "The subnet keeps running (validator $VADDR, logs in $OUT_DIR); Ctrl-C stops it."
  wait
fi
