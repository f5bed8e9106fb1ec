#!/usr/bin/env bash
# The GPU checks on a lent device machine (issue 10; ../.library/device). That machine has
# CUDA and a GPU but none of our Debian packages and no network, so the binaries are
# built here and carried with their shared libraries.
#
#   tests/gpu/device.sh pack    # here: Release build with CUDA (build/), then the test and
#                                # benchmark binaries and their libraries into build-device/
#   tests/gpu/device.sh run     # there, with build-device carried: GPU parity tests (ops,
#                                # whole slice proofs), GPU benchmarks, and the age model
#                                # proved on 4 of its CPU cores as 1 and as 4 slices (issue 6);
#                                # logs under $OUT
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PACK=build-device

pack() {
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DZKS_CUDA=ON >/dev/null
  ninja -C build tests/unit/backend/test_backend tests/unit/circuits/test_slice tests/bench/bench_gpu circuits/zkslice
  rm -rf "$PACK" && mkdir -p "$PACK/lib"
  local bins=(build/tests/unit/backend/test_backend build/tests/unit/circuits/test_slice build/tests/bench/bench_gpu
              build/circuits/zkslice)
  cp "${bins[@]}" "$PACK/"
  # Every library the binaries load except the C library's own (the device's glibc is
  # at least as new as Debian 12's).
  for b in "${bins[@]}"; do ldd "$b"; done | awk '$3 ~ /^\// {print $3}' | sort -u |
    grep -v -E '/(libc|libm|libdl|libpthread|librt|ld-linux-x86-64)\.so' | xargs -I{} cp -L {} "$PACK/lib/"
  du -sh "$PACK"
}

# Each step has its own time limit, so one that hangs leaves the others' results (the
# device call as a whole may run 10 minutes; these add up to under 9).
step() {
  local name=$1 limit=$2 fn=$3 rc=0
  echo "== $name (at most ${limit} s)"
  timeout "$limit" bash -c "$fn" >"$OUT_DIR/$name.txt" 2>&1 || rc=$?
  tail -n 12 "$OUT_DIR/$name.txt"
  [ "$rc" = 0 ] || echo "$name: FAILED (exit $rc; 124: timed out)"
}

parity() { "$PACK/test_backend" "[gpu]"; }
slice_parity() { ZKS_CORPUS_DIR="$ROOT/tests/data/corpus" "$PACK/test_slice" "[gpu]"; }
bench() { "$PACK/bench_gpu"; }

# Age on 4 CPU cores: one slice on 4 threads, then 4 slices on one core each (issue 6).
age_4cores() {
  local corpus="$ROOT/tests/data/corpus/age" pin=()
  command -v taskset >/dev/null && pin=(taskset -c 0-3)
  "$Z" compile "$corpus/model.onnx" --out "$WORK/age1" --slices 1 >/dev/null
  "$Z" compile "$corpus/model.onnx" --out "$WORK/age4" --slices 4 >/dev/null
  for i in 1 2 3; do
    "${pin[@]}" "$Z" --threads 4 prove "$WORK/age1" --input "$corpus/input.json" --out "$WORK/b1" 2>&1 | grep "proved"
    "${pin[@]}" "$Z" --threads 1 prove "$WORK/age4" --jobs 4 --input "$corpus/input.json" --out "$WORK/b4" 2>&1 | grep "proved"
  done
  "$Z" verify "$WORK/age4" "$WORK/b4" | tail -1
}

# Whole slice proofs on all cores: the GPU against --no-gpu.
slices_gpu_cpu() {
  for m in 4l_relu_conv_fc variable_cnn mnist_gan multihead_attention age; do
    "$Z" compile "$ROOT/tests/data/corpus/$m/model.onnx" --out "$WORK/$m" --slices 1 >/dev/null
    for mode in gpu cpu; do
      local flag=()
      [ "$mode" = cpu ] && flag=(--no-gpu)
      for i in 1 2 3; do
        "$Z" "${flag[@]}" prove "$WORK/$m" --input "$ROOT/tests/data/corpus/$m/input.json" --out "$WORK/$m.b" 2>&1 |
          sed -n "s/^proved 1 slices in \([0-9.]*\) ms.*/$m $mode \1 ms/p"
      done
      "$Z" verify "$WORK/$m" "$WORK/$m.b" >/dev/null && echo "$m $mode verifies"
    done
  done
}

# Age with smaller sumchecks on the GPU too (the default bound is 2^16).
age_min_vars() {
  "$Z" compile "$ROOT/tests/data/corpus/age/model.onnx" --out "$WORK/agem" --slices 1 >/dev/null
  for v in 10 12 14 16; do
    for i in 1 2 3; do
      ZKS_GPU_SUMCHECK_MIN_VARS=$v "$Z" prove "$WORK/agem" --input "$ROOT/tests/data/corpus/age/input.json" \
        --out "$WORK/agem.b" 2>&1 | sed -n "s/^proved 1 slices in \([0-9.]*\) ms.*/age min_vars=$v \1 ms/p"
    done
  done
  "$Z" verify "$WORK/agem" "$WORK/agem.b" | tail -1
}

run() {
  export OUT_DIR=${OUT:-/tmp/zks-device-out} PACK="$ROOT/$PACK" Z="$ROOT/$PACK/zkslice" ROOT
  export LD_LIBRARY_PATH="$PACK/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  mkdir -p "$OUT_DIR"
  WORK=$(mktemp -d)
  export WORK
  { nvidia-smi -L || true; nproc; } | tee "$OUT_DIR/device.txt"
  step parity 90 parity
  step slice_parity 120 slice_parity
  step bench_gpu 150 bench
  step age_4cores 60 age_4cores
  step slices_gpu_cpu 100 slices_gpu_cpu
  step age_min_vars 45 age_min_vars
  rm -rf "$WORK"
}

export -f parity slice_parity bench age_4cores slices_gpu_cpu age_min_vars

case "${1:-}" in
  pack) pack ;;
  run) run ;;
  *) echo "usage: $0 pack|run" >&2; exit 2 ;;
esac
