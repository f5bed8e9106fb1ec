#!/usr/bin/env bash
# The test command: installs what is missing, builds (Release), runs every test
# under CTest and exits non-zero on any failure. Then runs the GPU parity tests and the
# whole-slice GPU tests on an emulated GPU (tests/gpu/emulate.sh: no GPU needed), and
# builds the core protocol tests with AddressSanitizer + UndefinedBehaviorSanitizer and
# runs them (small sizes).
#
#   deploy/test.sh                 # everything
#   ZKS_SKIP_EMULATE=1 deploy/test.sh
#   ZKS_SKIP_SANITIZE=1 deploy/test.sh
#   ZKS_BUILD_DIR=out deploy/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${ZKS_BUILD_DIR:-build}
JOBS=${ZKS_JOBS:-$(nproc)}

./deploy/install-deps.sh

echo "== configure ($BUILD_DIR, Release)"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZKS_CUDA="${ZKS_CUDA:-AUTO}"
echo "== build"
cmake --build "$BUILD_DIR" -j "$JOBS"
echo "== test"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 900

if [ "${ZKS_SKIP_EMULATE:-0}" != "1" ]; then
  echo "== GPU parity tests on an emulated GPU"
  tests/gpu/emulate.sh "$BUILD_DIR" >"$BUILD_DIR/gpu-emulate.log" 2>&1 || { tail -40 "$BUILD_DIR/gpu-emulate.log"; exit 1; }
  tail -3 "$BUILD_DIR/gpu-emulate.log"
  echo "== whole slice proofs on the emulated GPU against the CPU (and GPU failures injected)"
  tests/gpu/emulate.sh "$BUILD_DIR" --slice >"$BUILD_DIR/gpu-emulate-slice.log" 2>&1 ||
    { tail -40 "$BUILD_DIR/gpu-emulate-slice.log"; exit 1; }
  tail -3 "$BUILD_DIR/gpu-emulate-slice.log"
fi

if [ "${ZKS_SKIP_SANITIZE:-0}" != "1" ]; then
  SAN_DIR="$BUILD_DIR-asan"
  SAN_LABELS="util|field|hash|transcript|poly|sumcheck|pcs|lookup|circuits|slice|model|quantize|slicer|conformance|consensus"
  echo "== sanitizers (address,undefined) on labels $SAN_LABELS"
  cmake -S . -B "$SAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZKS_CUDA=OFF \
    -DZKS_SANITIZE=address,undefined -DZKS_BUILD_BENCH=OFF
  cmake --build "$SAN_DIR" -j "$JOBS" --target zks_core_tests
  ctest --test-dir "$SAN_DIR" --output-on-failure -j "$JOBS" -L "$SAN_LABELS" --timeout 900
fi
echo "== all tests passed"
