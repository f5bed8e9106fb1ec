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

run() {
  local out=${OUT:-/tmp/zks-device-out}
  mkdir -p "$out"
  export LD_LIBRARY_PATH="$ROOT/$PACK/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  nvidia-smi -L | tee "$out/device.txt" || true
  nproc | tee -a "$out/device.txt"
  echo "== GPU parity tests"
  "$PACK/test_backend" --success "[gpu]" >"$out/parity.txt" 2>&1 && parity=ok || parity=FAILED
  grep -E "SKIPPED|FAILED|passed|failed" "$out/parity.txt" | tail -5 || true
  echo "parity: $parity"
  echo "== whole slice proofs, GPU against CPU"
  ZKS_CORPUS_DIR="$ROOT/tests/data/corpus" "$PACK/test_slice" --success "[gpu]" >"$out/slice_parity.txt" 2>&1 &&
    slices=ok || slices=FAILED
  grep -E "SKIPPED|FAILED|passed|failed" "$out/slice_parity.txt" | tail -5 || true
  echo "slice proofs: $slices"
  echo "== GPU benchmarks"
  "$PACK/bench_gpu" | tee "$out/bench_gpu.md" || echo "bench_gpu FAILED"
  echo "== age on 4 CPU cores: one slice on 4 threads, then 4 slices on one core each"
  local z="$ROOT/$PACK/zkslice" work
  work=$(mktemp -d)
  local corpus="$ROOT/tests/data/corpus/age"
  "$z" compile "$corpus/model.onnx" --out "$work/age1" --slices 1 >/dev/null
  "$z" compile "$corpus/model.onnx" --out "$work/age4" --slices 4 >/dev/null
  local pin=()
  command -v taskset >/dev/null && pin=(taskset -c 0-3)
  for i in 1 2 3; do
    "${pin[@]}" "$z" --threads 4 prove "$work/age1" --input "$corpus/input.json" --out "$work/b1" 2>&1 | grep "proved"
    "${pin[@]}" "$z" --threads 1 prove "$work/age4" --jobs 4 --input "$corpus/input.json" --out "$work/b4" 2>&1 | grep "proved"
  done | tee "$out/age_4cores.txt"
  "$z" verify "$work/age4" "$work/b4" | tail -1
  echo "== whole slice proofs on all cores: GPU commitments against --no-gpu"
  for m in 4l_relu_conv_fc variable_cnn mnist_gan multihead_attention age; do
    "$z" compile "$ROOT/tests/data/corpus/$m/model.onnx" --out "$work/$m" --slices 1 >/dev/null
    for mode in gpu cpu; do
      flag=(); [ "$mode" = cpu ] && flag=(--no-gpu)
      for i in 1 2 3; do
        "$z" "${flag[@]}" prove "$work/$m" --input "$ROOT/tests/data/corpus/$m/input.json" --out "$work/$m.b" 2>&1 |
          sed -n "s/^proved 1 slices in \([0-9.]*\) ms.*/$m $mode \1 ms/p"
      done
      "$z" verify "$work/$m" "$work/$m.b" >/dev/null && echo "$m $mode verifies"
    done
  done | tee "$out/slices_gpu_cpu.txt"
  echo "== age with smaller sumchecks on the GPU too (ZKS_GPU_SUMCHECK_MIN_VARS; the default is 16)"
  for v in 10 12 14; do
    for i in 1 2 3; do
      ZKS_GPU_SUMCHECK_MIN_VARS=$v "$z" prove "$work/age" --input "$ROOT/tests/data/corpus/age/input.json" \
        --out "$work/age.b" 2>&1 | sed -n "s/^proved 1 slices in \([0-9.]*\) ms.*/age min_vars=$v \1 ms/p"
    done
  done | tee "$out/age_min_vars.txt"
  rm -rf "$work"
}

case "${1:-}" in
  pack) pack ;;
  run) run ;;
  *) echo "usage: $0 pack|run" >&2; exit 2 ;;
esac
