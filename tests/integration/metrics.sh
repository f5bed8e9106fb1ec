#!/usr/bin/env bash
# A local subnet scraped by a real Prometheus server (issue 9): every query of every
# Grafana dashboard panel in deploy/grafana/dashboards returns data, and promtool
# accepts the shipped scrape config and alert rules.
#   tests/integration/metrics.sh ZKSLICE MINER VALIDATOR
# Exit 0 pass, 1 fail, 77 skipped (no prometheus binary: deploy/install-deps.sh installs it).
set -euo pipefail
ZKSLICE=$1 MINER=$2 VALIDATOR=$3
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  echo "SKIPPED: the prometheus package is not installed (deploy/install-deps.sh installs it)"
  exit 77
fi
W=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$W"/*.log; do echo "--- $f" >&2; tail -5 "$f" >&2; done; exit 1; }
ready() {  # a daemon's ready file: line $2 (1: gRPC, 2: metrics)
  for _ in $(seq 300); do
    [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && { sed -n "${2}p" "$1"; return; }
    sleep 0.1
  done
  fail "not ready: $1"
}

promtool check config "$ROOT/deploy/prometheus/prometheus.yml" >/dev/null || fail "promtool check config"
promtool check rules "$ROOT/deploy/prometheus/alerts.yml" >/dev/null || fail "promtool check rules"

"$ZKSLICE" compile "$ROOT/tests/data/corpus/4l_relu_conv_fc/model.onnx" --out "$W/model" --slices 2 >"$W/compile.txt"
ID=$(awk '/manifest id/ {print $3}' "$W/compile.txt")
FP=$(awk '/model fingerprint/ {print $3}' "$W/compile.txt")
for k in v m1 m2 c; do "$ZKSLICE" keygen --out "$W/$k.key" >"$W/$k.hotkey"; done
"$VALIDATOR" --key "$W/v.key" --listen 127.0.0.1:0 --data-dir "$W/v" --model "$W/model" --epoch-s 1 \
  --bench-idle-s 0 --metrics-listen 127.0.0.1:0 --ready-file "$W/v.ready" >"$W/validator.log" 2>&1 &
PIDS+=($!)
V=$(ready "$W/v.ready" 1)
VM=$(ready "$W/v.ready" 2)
for m in m1 m2; do
  "$MINER" --key "$W/$m.key" --listen 127.0.0.1:0 --data-dir "$W/$m" --register "$V" --register-interval-s 1 \
    --metrics-listen 127.0.0.1:0 --ready-file "$W/$m.ready" >"$W/$m.log" 2>&1 &
  PIDS+=($!)
done
M1=$(ready "$W/m1.ready" 1); M1M=$(ready "$W/m1.ready" 2); M2M=$(ready "$W/m2.ready" 2)
for _ in $(seq 100); do
  [ "$("$ZKSLICE" weights --validator "$V" --json | grep -c '"uid"')" -ge 2 ] && break
  sleep 0.1
done

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$W/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $ROOT/deploy/prometheus/alerts.yml
scrape_configs:
  - job_name: zkslice-validator
    static_configs:
      - targets: ["$VM"]
  - job_name: zkslice-miner
    static_configs:
      - targets: ["$M1M", "$M2M"]
YML
prometheus --config.file="$W/prometheus.yml" --storage.tsdb.path="$W/tsdb" \
  --web.listen-address="127.0.0.1:$PORT" >"$W/prometheus.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/-/ready" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/-/ready" >/dev/null || fail "prometheus did not start"
# Targets reach the scrape manager some seconds after start: wait until all 3 are up.
up=0
for _ in $(seq 150); do
  up=$(curl -s "http://127.0.0.1:$PORT/api/v1/query" --data-urlencode 'query=sum(up{job=~"zkslice-.*"})' |
    python3 -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(int(float(r[0]["value"][1])) if r else 0)')
  [ "$up" -ge 3 ] && break
  sleep 0.2
done
[ "$up" -ge 3 ] || fail "prometheus does not scrape the three daemons"

# Traffic: a refused call (an envelope addressed to another node) and proved inferences.
if "$ZKSLICE" ping "$M1" --key "$W/c.key" --to "$(awk '/hotkey/ {print $2}' "$W/v.hotkey")" >/dev/null 2>&1; then
  fail "a ping addressed to another node was answered"
fi
for i in $(seq 8); do
  "$ZKSLICE" infer --validator "$V" --model "$ID" --input "$ROOT/tests/data/corpus/4l_relu_conv_fc/input.json" \
    --out "$W/b$i" --key "$W/c.key" --fp "$FP" --save-model "$W/saved" >/dev/null || fail "infer $i"
  sleep 0.3
done
# A client got the verify-only manifest (the miners, which proved, got the full one):
# it verifies the bundles, and it cannot run the model.
"$ZKSLICE" verify "$W/saved" "$W/b1" --fp "$FP" | grep -q "^VALID" || fail "the saved manifest does not verify a bundle"
if "$ZKSLICE" run "$W/saved" --input "$ROOT/tests/data/corpus/4l_relu_conv_fc/input.json" 2>"$W/run.err" >/dev/null ||
   ! grep -q "verify-only" "$W/run.err"; then
  fail "the client's manifest is not the verify-only one"
fi
sleep 3

# Every panel's every query returns data with at least one number (bounded retries).
python3 - "$PORT" "$ROOT"/deploy/grafana/dashboards/*.json <<'PY' || fail "dashboard queries without data"
import json, math, sys, time, urllib.parse, urllib.request
port, files = sys.argv[1], sys.argv[2:]
bad = []
checked = 0
for f in files:
    for panel in json.load(open(f))["panels"]:
        for t in panel["targets"]:
            expr = t["expr"]
            ok = False
            for _ in range(20):
                url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
                r = json.load(urllib.request.urlopen(url, timeout=10))
                vals = [v["value"][1] for v in r["data"]["result"]] if r.get("status") == "success" else []
                if any(not math.isnan(float(v)) for v in vals):
                    ok = True
                    break
                time.sleep(0.5)
            checked += 1
            if not ok:
                bad.append(f"{f.split('/')[-1]}: {panel['title']}: {expr}")
for b in bad:
    print("no data:", b)
print(f"{checked - len(bad)} of {checked} dashboard queries return data")
sys.exit(1 if bad else 0)
PY
# The miners proved the same slices again and again: later jobs took the weight
# commitment from the cache instead of committing the weights again.
hits=$(curl -s "http://127.0.0.1:$PORT/api/v1/query" --data-urlencode 'query=sum(zks_miner_weight_cache_total{result="hit"})' |
  python3 -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(int(float(r[0]["value"][1])) if r else 0)')
[ "$hits" -ge 1 ] || fail "no weight commitment was taken from the cache across 8 proved inferences"
echo "weight cache hits across jobs: $hits"
# Yuma consensus over the live validator's signed weights (one validator: nothing to clip).
VK=$(awk '/hotkey/ {print $2}' "$W/v.hotkey")
"$ZKSLICE" consensus --validator "$V" --stake "$VK=1" --state "$W/consensus" --json >"$W/consensus.json" \
  || fail "consensus over the live validator"
python3 - "$W/consensus.json" "$VK" <<'PY' || fail "consensus over the live validator: wrong answer"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["epoch"] == 1 and j["validators"][0]["hotkey"] == sys.argv[2], j
assert len(j["miners"]) >= 2, j
total = sum(m["emission"] for m in j["miners"]) + sum(v["emission"] for v in j["validators"])
assert abs(total - 1) < 1e-9, total
PY
echo "metrics: all checks passed"
