#!/usr/bin/env bash
# `zkslice consensus` over weights files as `zkslice weights --json` writes them: a
# minority that weights its own miner is clipped, bonds persist across runs in the state
# dir (the moving average goes on), and bad input is refused by name.
#   tests/integration/consensus_cli.sh ZKSLICE
set -euo pipefail
ZKSLICE=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

weights() {  # FILE VALIDATOR W_H1 W_H2 W_C
  cat >"$1" <<JSON
{"validator": "$2", "epoch": 3, "miners": [
  {"uid": 0, "hotkey": "h1", "endpoint": "127.0.0.1:1", "score": 1, "strikes": 0, "weight": $3},
  {"uid": 1, "hotkey": "h2", "endpoint": "127.0.0.1:2", "score": 1, "strikes": 0, "weight": $4},
  {"uid": 2, "hotkey": "cabal", "endpoint": "127.0.0.1:3", "score": 1, "strikes": 0, "weight": $5}]}
JSON
}
weights "$W/v1.json" v1 0.5 0.5 0
weights "$W/v2.json" v2 0.5 0.5 0
weights "$W/vc.json" vc 0 0 1
run() { "$ZKSLICE" consensus "$W/v1.json" "$W/v2.json" "$W/vc.json" --stake v1=35 --stake v2=35 --stake vc=30 "$@"; }

run --state "$W/state" --json >"$W/e1.json" || fail "epoch 1"
run --state "$W/state" --json >"$W/e2.json" || fail "epoch 2"
python3 - "$W/e1.json" "$W/e2.json" <<'PY' || fail "wrong consensus"
import json, sys
e1, e2 = (json.load(open(f)) for f in sys.argv[1:])
assert (e1["epoch"], e2["epoch"]) == (1, 2), (e1["epoch"], e2["epoch"])
m = {x["hotkey"]: x for x in e2["miners"]}
v = {x["hotkey"]: x for x in e2["validators"]}
assert m["cabal"]["incentive"] == 0 and m["cabal"]["consensus"] == 0, m["cabal"]
assert abs(m["h1"]["incentive"] - 0.5) < 1e-12, m["h1"]
assert v["vc"]["dividends"] == 0 and abs(v["v1"]["dividends"] - 0.5) < 1e-12, v
total = sum(x["emission"] for x in e2["miners"]) + sum(x["emission"] for x in e2["validators"])
assert abs(total - 1) < 1e-12, total
PY
# A run over some of the validators keeps the others' bonds: v3 bonded in epoch 1, sat
# out epoch 2, and in epoch 3 holds more bonds than a v3 that was never bonded.
weights "$W/v3.json" v3 0.5 0.5 0
three() { "$ZKSLICE" consensus "$W/v1.json" "$W/v2.json" "$W/v3.json" --stake v1=35 --stake v2=35 --stake v3=30 "$@"; }
two() { "$ZKSLICE" consensus "$W/v1.json" "$W/v2.json" --stake v1=35 --stake v2=35 "$@"; }
three --state "$W/kept" >/dev/null && two --state "$W/kept" >/dev/null || fail "epochs 1 and 2 (kept)"
three --state "$W/kept" --json >"$W/kept.json" || fail "epoch 3 (kept)"
two --state "$W/fresh" >/dev/null && two --state "$W/fresh" >/dev/null || fail "epochs 1 and 2 (fresh)"
three --state "$W/fresh" --json >"$W/fresh.json" || fail "epoch 3 (fresh)"
python3 - "$W/kept.json" "$W/fresh.json" <<'PY' || fail "a validator left out of a run lost its bonds"
import json, sys
kept, fresh = ({v["hotkey"]: v for v in json.load(open(f))["validators"]} for f in sys.argv[1:])
# Kept: 0.1 d3 + 0.9 (0.1 d1); fresh: 0.1 d3 (d: v3's instant bonds, 0.3 a miner).
assert kept["v3"]["bonds"] > fresh["v3"]["bonds"] + 0.01, (kept["v3"], fresh["v3"])
PY

# The text form names every miner and validator.
run >"$W/text.txt" || fail "text output"
for name in h1 h2 cabal v1 v2 vc; do grep -q "^  $name " "$W/text.txt" || fail "text output lacks $name"; done

# Refusals, each naming what is wrong.
refused() {  # EXPECTED-TEXT ARGS...
  local want=$1; shift
  if "$ZKSLICE" consensus "$@" >/dev/null 2>"$W/err"; then fail "accepted: $*"; fi
  grep -q "$want" "$W/err" || fail "'$*' did not say '$want': $(cat "$W/err")"
}
refused "no --stake for validator vc" "$W/v1.json" "$W/vc.json" --stake v1=1
refused "is given twice" "$W/v1.json" "$W/v1.json" --stake v1=1
refused "is not HOTKEY=AMOUNT" "$W/v1.json" --stake v1
refused "is not HOTKEY=AMOUNT" "$W/v1.json" --stake v1=lots
refused "is not HOTKEY=AMOUNT" "$W/v1.json" --stake v1=inf
refused "is not HOTKEY=AMOUNT" "$W/v1.json" --stake v1=-3
refused "is given twice" "$W/v1.json" --stake v1=1 --stake v1=2
echo '{"validator": "v9", "miners": [{"hotkey": "h1", "weight": -1}]}' >"$W/neg.json"
refused "not >= 0" "$W/neg.json" --stake v9=1
echo '{"validator": "v/9", "miners": [{"hotkey": "h1", "weight": 1}]}' >"$W/slash.json"
refused "is not a hotkey" "$W/slash.json" --stake v/9=1
echo 'not json' >"$W/bad.json"
refused "not JSON" "$W/bad.json" --stake v1=1
refused "cannot read" "$W/missing.json" --stake v1=1
echo "consensus_cli: all checks passed"
