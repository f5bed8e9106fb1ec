#!/usr/bin/env bash
# Interleaved A/B of two zkslice binaries proving one corpus model: each binary compiles
# its own manifest (their proof formats may differ), then the two prove the same input
# in turn, ROUNDS times. Prints each side's wall times (the prover's total_ms), CPU
# times (user + system, /usr/bin/time) and bundle size.
#   tests/bench/ab_prove.sh BASE_ZKSLICE NEW_ZKSLICE MODEL SLICES ROUNDS [GLOBAL ARGS...]
#   e.g. tests/bench/ab_prove.sh /tmp/base/build/circuits/zkslice build/circuits/zkslice age 1 5 --threads 1
set -euo pipefail
BASE=${1:?usage: ab_prove.sh BASE NEW MODEL SLICES ROUNDS [GLOBAL ARGS...]}
NEW=${2:?}; MODEL=${3:?}; SLICES=${4:?}; ROUNDS=${5:?}; shift 5
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=$ROOT/tests/data/corpus/$MODEL
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for side in base new; do
  z=$BASE; [ $side = new ] && z=$NEW
  "$z" compile "$DIR/model.onnx" --out "$WORK/$side" --slices "$SLICES" >/dev/null
done
for _ in $(seq "$ROUNDS"); do
  for side in base new; do
    z=$BASE; [ $side = new ] && z=$NEW
    cpu=$({ /usr/bin/time -f "%U %S" "$z" "$@" prove "$WORK/$side" --input "$DIR/input.json" --out "$WORK/$side.bundle" \
           --json >"$WORK/$side.json"; } 2>&1 | tail -1 | awk '{printf "%.2f", $1 + $2}')
    wall=$(python3 -c "import json, sys; print(round(json.load(open(sys.argv[1]))['total_ms']))" "$WORK/$side.json")
    echo "$side $wall $cpu"
  done
done | awk '{w[$1] = w[$1] " " $2; c[$1] = c[$1] " " $3}
            END {for (k in w) print k ": wall ms" w[k] " | cpu s" c[k]}' | sort
for side in base new; do echo "$side: bundle $(stat -c %s "$WORK/$side.bundle") bytes"; done
