#!/usr/bin/env bash
# The main command: installs what is missing, builds, and runs the most complete
# end-to-end path zkslice has today.
#
# Today: a sumcheck proof over random multilinear tables, proved and verified, with
# timings (`zkslice selftest`). Still to come (see the open issues): Basefold
# commitments, the model compiler (`zkslice compile`), slice proofs of the default
# age model, and the local subnet of one validator and three miners.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${ZKS_BUILD_DIR:-build}
./deploy/install-deps.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZKS_CUDA="${ZKS_CUDA:-AUTO}" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target zkslice

ZKSLICE="$BUILD_DIR/circuits/zkslice"
echo
echo "== zkslice selftest: prove and verify sum_x eq(z,x) f1(x) f2(x) f3(x) over 2^20 points"
"$ZKSLICE" selftest --log-size 20 --degree 3
echo
echo "Still to come: the local subnet (validator + 3 miners) proving the age model."
