#!/usr/bin/env bash
# zkslice compile -> prove -> verify as a user runs them, for N = 1, 2, 4 slices, and
# the verifier's answers to a corrupted bundle, a bundle for another model and bad usage.
set -euo pipefail
ZKSLICE=$1
CORPUS=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# flip FILE COPY DIVISOR: COPY is FILE with every bit of the byte at size / DIVISOR flipped.
flip() {
  cp "$1" "$2"
  local size at byte
  size=$(stat -c %s "$2")
  at=$((size / $3))
  byte=$(od -An -tu1 -j "$at" -N1 "$2" | tr -d ' ')
  printf "\\$(printf %03o $((byte ^ 255)))" | dd of="$2" bs=1 seek="$at" conv=notrunc status=none
}
# invalid DIR FILE WHAT: `zkslice verify DIR FILE` exits 1 and prints INVALID.
invalid() {
  local out rc
  set +e
  out=$("$ZKSLICE" verify "$1" "$2"); rc=$?
  set -e
  [ $rc -eq 1 ] && echo "$out" | grep -q INVALID || fail "$3: exit $rc, expected 1 and INVALID"
}

for model in 4l_relu_conv_fc 3l_relu_conv_fc variable_cnn accuracy; do
  for n in 1 2 4; do
    dir="$WORK/$model-$n"
    "$ZKSLICE" compile "$CORPUS/$model/model.onnx" --out "$dir" --slices "$n" >/dev/null
    "$ZKSLICE" prove "$dir" --input "$CORPUS/$model/input.json" --out "$dir/bundle" >/dev/null 2>&1 \
      || fail "$model with $n slices did not prove"
    "$ZKSLICE" verify "$dir" "$dir/bundle" >/dev/null || fail "$model with $n slices did not verify"
  done
done

# Single-op models: as many slices as they have nodes.
for spec in 1l_conv:1 1l_max_pool:1 1l_average:1 1l_average:3; do
  model=${spec%%:*}; n=${spec##*:}
  dir="$WORK/$model-$n"
  "$ZKSLICE" compile "$CORPUS/$model/model.onnx" --out "$dir" --slices "$n" >/dev/null
  "$ZKSLICE" prove "$dir" --input "$CORPUS/$model/input.json" --out "$dir/bundle" >/dev/null 2>&1 \
    || fail "$model with $n slices did not prove"
  "$ZKSLICE" verify "$dir" "$dir/bundle" >/dev/null || fail "$model with $n slices did not verify"
done

dir="$WORK/4l_relu_conv_fc-2"
# One byte flipped in the middle of the bundle: exit 1 with a reason.
flip "$dir/bundle" "$WORK/bad" 2
invalid "$dir" "$WORK/bad" "corrupted bundle"
# The bundle against another compiled model: exit 1.
set +e
"$ZKSLICE" verify "$WORK/3l_relu_conv_fc-2" "$dir/bundle" >/dev/null; rc=$?
set -e
[ $rc -eq 1 ] || fail "bundle for another model: exit $rc, expected 1"
# A verify-only manifest (zkslice publish): the same model id and fingerprint, no weight
# values; the bundle verifies with it, pinned; a corrupted bundle does not; proving and
# running it are refused with the reason.
"$ZKSLICE" publish "$dir" --out "$WORK/published" >"$WORK/pub.out" || fail "publish failed"
fp=$("$ZKSLICE" compile "$CORPUS/4l_relu_conv_fc/model.onnx" --out "$WORK/again" --slices 2 --json \
     | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')
grep -q "model fingerprint $fp (unchanged)" "$WORK/pub.out" || fail "publish changed the fingerprint"
cmp -s "$dir/manifest.id" "$WORK/published/manifest.id" || fail "publish changed the model id"
# Proofs are not hiding: publish says how many bundles disclose each slice's weights.
grep -q "^weights disclosed by proofs" "$WORK/pub.out" || fail "publish does not say what bundles disclose"
grep -Eq "^  slice 1: about [0-9]+ proofs" "$WORK/pub.out" || fail "publish gives no exposure for slice 1"
[ "$(stat -c %s "$WORK/published/manifest.pb")" -lt "$(stat -c %s "$dir/manifest.pb")" ] \
  || fail "the verify-only manifest is not smaller"
"$ZKSLICE" verify "$WORK/published" "$dir/bundle" --fp "$fp" --input "$CORPUS/4l_relu_conv_fc/input.json" \
  | grep -q "^VALID.*pinned" || fail "the bundle does not verify with the verify-only manifest"
set +e
"$ZKSLICE" verify "$WORK/published" "$WORK/bad" >/dev/null; rc=$?
set -e
[ $rc -eq 1 ] || fail "corrupted bundle, verify-only manifest: exit $rc, expected 1"
for cmd in "prove --out $WORK/x.b" run; do
  set +e
  "$ZKSLICE" $cmd "$WORK/published" --input "$CORPUS/4l_relu_conv_fc/input.json" >/dev/null 2>"$WORK/err"; rc=$?
  set -e
  [ $rc -ne 0 ] || fail "$cmd on a verify-only manifest succeeded"
  grep -q "verify-only" "$WORK/err" || fail "$cmd on a verify-only manifest: no reason given"
done
# Private-input proofs (prove --private): proved in one process and verified in another
# (both must build the same plan), pinned to the fingerprint; a flipped byte, a
# verify-only manifest and --input are refused with a reason.
"$ZKSLICE" inspect "$dir" | grep -q "^private proofs .*: provable$" || fail "inspect does not say the model proves privately"
"$ZKSLICE" prove "$dir" --input "$CORPUS/4l_relu_conv_fc/input.json" --out "$WORK/private" --private >/dev/null 2>&1 \
  || fail "the private proof did not prove"
"$ZKSLICE" verify "$dir" "$WORK/private" --fp "$fp" | grep -q "^VALID: private proof.*pinned" \
  || fail "the private proof did not verify"
flip "$WORK/private" "$WORK/private.bad" 3
invalid "$dir" "$WORK/private.bad" "corrupted private proof"
set +e
out=$("$ZKSLICE" verify "$WORK/published" "$WORK/private"); rc=$?
set -e
[ $rc -eq 1 ] && echo "$out" | grep -q "verify-only" || fail "private proof with a verify-only manifest: exit $rc"
set +e
"$ZKSLICE" verify "$dir" "$WORK/private" --input "$CORPUS/4l_relu_conv_fc/input.json" >/dev/null 2>"$WORK/err"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "does not carry its input" "$WORK/err" || fail "--input with a private proof: exit $rc"
# A private bundle (prove --private --sliced): one proof for each of the manifest's two
# slices, verified pinned; a flipped byte, or the four-slice manifest (another FP), rejected.
"$ZKSLICE" prove "$dir" --input "$CORPUS/4l_relu_conv_fc/input.json" --out "$WORK/private.b" --private --sliced \
  >/dev/null 2>&1 || fail "the private bundle did not prove"
"$ZKSLICE" verify "$dir" "$WORK/private.b" --fp "$fp" | grep -q "^VALID: private bundle of 2 slices.*pinned" \
  || fail "the private bundle did not verify"
flip "$WORK/private.b" "$WORK/private.b.bad" 3
invalid "$dir" "$WORK/private.b.bad" "corrupted private bundle"
invalid "$WORK/4l_relu_conv_fc-4" "$WORK/private.b" "private bundle against another manifest (its FP)"
# --slices N: a private bundle of N slices whatever the manifest's (here one slice).
"$ZKSLICE" prove "$WORK/4l_relu_conv_fc-1" --input "$CORPUS/4l_relu_conv_fc/input.json" --out "$WORK/private.3" \
  --private --slices 3 >/dev/null 2>&1 || fail "the private bundle of 3 slices did not prove"
"$ZKSLICE" verify "$WORK/4l_relu_conv_fc-1" "$WORK/private.3" | grep -q "^VALID: private bundle of 3 slices" \
  || fail "the private bundle of 3 slices did not verify"
set +e
"$ZKSLICE" prove "$dir" --input "$CORPUS/4l_relu_conv_fc/input.json" --out "$WORK/x" --slices 3 >/dev/null 2>&1; rc=$?
set -e
[ $rc -eq 2 ] || fail "--slices without --private: exit $rc, expected 2"
# Usage errors: exit 2.
set +e
"$ZKSLICE" verify "$dir" >/dev/null 2>&1; rc=$?
set -e
[ $rc -eq 2 ] || fail "missing argument: exit $rc, expected 2"
# A model with an op that is not provable yet still compiles (with a note naming it);
# proving it fails with exit 1 and names the op.
"$ZKSLICE" compile "$CORPUS/layernorm/model.onnx" --out "$WORK/unprovable" --slices 1 --fused-layernorm 2>"$WORK/note" >/dev/null \
  || fail "an unprovable model did not compile"
grep -q "not provable yet" "$WORK/note" || fail "compile did not note the unprovable op"
set +e
"$ZKSLICE" prove "$WORK/unprovable" --input "$CORPUS/layernorm/input.json" --out "$WORK/unprovable.b" 2>"$WORK/err" >/dev/null; rc=$?
set -e
[ $rc -eq 1 ] || fail "proving an unprovable model: exit $rc, expected 1"
grep -q "LayerNormalization" "$WORK/err" || fail "the refusal does not name the op"
echo "prove_cli: all checks passed"
