#!/bin/sh
# `zkslice keygen`: writes a 0600 key file, prints the hotkey, refuses to overwrite
# without --force (exit 1), replaces it with --force. Usage: keygen_cli_test.sh ZKSLICE
set -eu
zkslice="$1"
dir=$(mktemp -d "${TMPDIR:-/tmp}/zks-keygen-XXXXXX")
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$zkslice" keygen --out "$dir/hot.key") || fail "keygen exited $?"
echo "$out" | grep -Eq '^hotkey: zks1[0-9a-f]{64}$' || fail "no hotkey line in: $out"
[ "$(stat -c %a "$dir/hot.key")" = 600 ] || fail "mode is $(stat -c %a "$dir/hot.key")"
grep -q "^public: $(echo "$out" | sed -n 's/^hotkey: //p')\$" "$dir/hot.key" || fail "printed hotkey is not the file's"
before=$(cat "$dir/hot.key")

set +e
err=$("$zkslice" keygen --out "$dir/hot.key" 2>&1)
rc=$?
set -e
[ $rc -eq 1 ] || fail "overwrite without --force exited $rc"
echo "$err" | grep -q "use --force" || fail "no --force hint in: $err"
[ "$(cat "$dir/hot.key")" = "$before" ] || fail "file changed without --force"

"$zkslice" keygen --out "$dir/hot.key" --force >/dev/null || fail "--force exited $?"
[ "$(cat "$dir/hot.key")" != "$before" ] || fail "--force did not replace the key"
[ "$(stat -c %a "$dir/hot.key")" = 600 ] || fail "mode after --force is $(stat -c %a "$dir/hot.key")"
echo "keygen CLI: ok"
