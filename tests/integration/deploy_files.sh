#!/usr/bin/env bash
# The deployment files check out (issue 9): systemd-analyze verify on both units (any
# warning fails), promtool on the Prometheus files, every Grafana dashboard is JSON with
# a query in each panel, and `docker compose config` on the compose file where Docker's
# compose plugin is available (skipped with a message where it is not).
#   tests/integration/deploy_files.sh BUILD_DIR
set -uo pipefail
BUILD=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

if command -v systemd-analyze >/dev/null; then
  for u in miner validator; do
    # The units name /usr/local/bin; verify them against the built binaries.
    sed "s#/usr/local/bin/zkslice-$u#$BUILD/$u/zkslice-$u#" "$ROOT/deploy/systemd/zkslice-$u.service" >"$W/zkslice-$u.service"
  done
  out=$(systemd-analyze verify "$W"/zkslice-*.service 2>&1) || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify warns: $out"
  echo "systemd-analyze verify: both units pass"
else
  echo "SKIPPED: systemd-analyze is not installed"
fi
if command -v promtool >/dev/null; then
  promtool check config "$ROOT/deploy/prometheus/prometheus.yml" >/dev/null || fail "promtool check config"
  promtool check rules "$ROOT/deploy/prometheus/alerts.yml" >/dev/null || fail "promtool check rules"
  echo "promtool: config and rules pass"
else
  echo "SKIPPED: promtool is not installed"
fi
python3 - "$ROOT"/deploy/grafana/dashboards/*.json <<'PY' || fail "dashboards"
import json, sys
for f in sys.argv[1:]:
    d = json.load(open(f))
    assert d["uid"] and d["panels"], f
    for p in d["panels"]:
        assert p["targets"] and all(t["expr"] for t in p["targets"]), (f, p["title"])
print(f"grafana: {len(sys.argv) - 1} dashboards parse, every panel has queries")
PY
if command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
  docker compose -f "$ROOT/deploy/docker/docker-compose.yml" config >/dev/null || fail "docker compose config"
  echo "docker compose config: passes"
else
  echo "SKIPPED: docker compose config (Docker's compose plugin is not available here)"
fi
echo "deploy_files: all checks passed"
