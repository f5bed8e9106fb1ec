#!/usr/bin/env bash
# End-to-end latency of a proved inference on a local subnet against its slices' own
# latencies (issues 6 and 8): the age model in SLICES slices (4), MINERS miners (4, one
# worker each), one validator with k=1, N requests through `zkslice infer --json`.
# Prints per request the end-to-end time, the slowest slice and the sum of the slices
# (validator-measured). PIN=1 pins miner i to core (i-1) mod nproc with taskset (each
# then proves on that core alone: processes on separate cores, DESIGN.md rule 15).
#   tests/bench/subnet_latency.sh [BUILD_DIR] [REQUESTS] [SLICES] [MINERS]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
N=${2:-5}
SLICES=${3:-4}
MINERS=${4:-4}
PIN=${PIN:-0}
Z=$BUILD/circuits/zkslice
W=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait; [ -n "${KEEP_LOG:-}" ] && cp "$W/v.log" "$KEEP_LOG"; rm -rf "$W"' EXIT
ready() { for _ in $(seq 300); do [ -s "$1" ] && { cat "$1"; return; }; sleep 0.1; done; echo "not ready: $1" >&2; exit 1; }

"$Z" compile tests/data/corpus/age/model.onnx --out "$W/age" --slices "$SLICES" >"$W/compile.log"
ID=$(awk '/manifest id/ {print $3}' "$W/compile.log")
FP=$(awk '/model fingerprint/ {print $3}' "$W/compile.log")
"$Z" keygen --out "$W/v.key" >/dev/null
"$BUILD/validator/zkslice-validator" --key "$W/v.key" --listen 127.0.0.1:0 --data-dir "$W/v" --model "$W/age" \
  --k 1 --explore 0 --bench-idle-s 0 ${VLOG:+--log-level $VLOG} --ready-file "$W/v.ready" >"$W/v.log" 2>&1 &
PIDS+=($!)
V=$(ready "$W/v.ready")
for i in $(seq "$MINERS"); do
  "$Z" keygen --out "$W/m$i.key" >/dev/null
  PREFIX=()
  [ "$PIN" = 1 ] && PREFIX=(taskset -c $(((i - 1) % $(nproc))))
  "${PREFIX[@]}" "$BUILD/miner/zkslice-miner" --key "$W/m$i.key" --listen 127.0.0.1:0 --data-dir "$W/m$i" --workers 1 \
    --register "$V" --ready-file "$W/m$i.ready" >"$W/m$i.log" 2>&1 &
  PIDS+=($!)
  ready "$W/m$i.ready" >/dev/null
done
for _ in $(seq 100); do [ "$("$Z" weights --validator "$V" --json | grep -c '"uid"')" -ge "$MINERS" ] && break; sleep 0.1; done
# One warm-up request (miners fetch the artifact), then the measured ones.
"$Z" infer --validator "$V" --model "$ID" --fp "$FP" --input tests/data/corpus/age/input.json --out "$W/b" >/dev/null
echo "| request | end to end (ms) | slowest slice (ms) | sum of slices (ms) | distinct miners |"
echo "|---|---|---|---|---|"
for r in $(seq "$N"); do
  "$Z" infer --validator "$V" --model "$ID" --fp "$FP" --input tests/data/corpus/age/input.json --out "$W/b" --json >"$W/r.json"
  python3 - "$r" "$W/r.json" <<'PY'
import json, sys
r, path = sys.argv[1:]
j = json.load(open(path))
lat = [s["latency_ms"] for s in j["slices"]]
print(f"| {r} | {j['total_ms']:.0f} | {max(lat):.0f} | {sum(lat):.0f} | {len(set(s['miner'] for s in j['slices']))} |")
PY
done
echo "($SLICES slices, $MINERS miners$([ "$PIN" = 1 ] && echo ", pinned one per core"), $(nproc) cores)"
