#!/usr/bin/env python3
"""zkslice against EZKL on the same models and machine (issue 11).

For each model: zkslice (compile, prove, verify) and EZKL (gen-settings,
calibrate-settings, compile-circuit, gen-srs (locally generated), gen-witness, setup,
prove, verify), one after the other. Every stage runs in its own process under
/usr/bin/time for wall time and peak memory (max RSS); a stage past --timeout seconds
is recorded as a timeout. Accuracy: the largest relative L2 error of the outputs
against the model's reference.json (zkslice: the quantized outputs its proofs attest;
EZKL: its witness's rescaled outputs). EZKL runs twice: calibrated for accuracy (its
default target) and for resources (its fast mode). EZKL visibility: input public,
output public, weights fixed (baked into the circuit), like zkslice's public I/O and
committed weights.

  python3 tests/bench/ezkl_compare.py build/circuits/zkslice [--models a,b] [--timeout 900] [--out DIR]
Writes DIR/results.json, DIR/table.md and DIR/ezkl_vs_zkslice.svg.
"""
import argparse, json, math, os, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_MODELS = ["1l_mlp", "4l_relu_conv_fc", "3l_relu_conv_fc", "variable_cnn", "accuracy", "age"]


def timed(cmd, timeout, cwd=None):
    """Runs cmd under /usr/bin/time -v; returns dict(ok, wall_s, rss_mb, out, err)."""
    t0 = time.time()
    try:
        p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        return {"ok": False, "wall_s": timeout, "rss_mb": None, "error": f"timeout after {timeout} s"}
    wall = time.time() - t0
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    rss = int(m.group(1)) / 1024 if m else None
    err = p.stderr.split("\tCommand being timed")[0].strip()
    r = {"ok": p.returncode == 0, "wall_s": wall, "rss_mb": rss, "out": p.stdout}
    if p.returncode != 0:
        killed = "signal 9" in p.stderr or p.returncode in (-9, 137)
        r["error"] = ("killed (out of memory?)" if killed else f"exit {p.returncode}") + ": " + err[-300:]
    return r


def rel_l2(got, ref):
    num = sum((g - r) ** 2 for g, r in zip(got, ref))
    den = sum(r * r for r in ref)
    return math.sqrt(num / den) if den > 0 else math.sqrt(num)


def flatten(x):
    if isinstance(x, list):
        out = []
        for e in x:
            out.extend(flatten(e))
        return out
    return [float(x)]


def reference(model):
    ref = json.load(open(os.path.join(ROOT, "tests/data/corpus", model, "reference.json")))
    outs = ref.get("output_data", ref.get("outputs"))
    return [flatten(o) for o in outs]


def run_zkslice(zk, model, work, timeout):
    d = os.path.join(ROOT, "tests/data/corpus", model)
    out = os.path.join(work, "zk-" + model)
    stages = {}
    stages["compile"] = timed([zk, "compile", os.path.join(d, "model.onnx"), "--out", out, "--slices", "1"], timeout)
    stages["prove"] = timed([zk, "prove", out, "--input", os.path.join(d, "input.json"), "--out", out + "/b", "--json"], timeout)
    stages["verify"] = timed([zk, "verify", out, out + "/b", "--json"], timeout)
    res = {"stages": stages}
    if stages["prove"]["ok"]:
        res["proof_bytes"] = os.path.getsize(out + "/b")
    if stages["verify"]["ok"]:
        res["valid"] = json.loads(stages["verify"]["out"]).get("valid", False)
    run = subprocess.run([zk, "run", out, "--input", os.path.join(d, "input.json"), "--reference",
                          os.path.join(d, "reference.json")], capture_output=True, text=True)
    l2 = [float(x) for x in re.findall(r"relative L2 ([0-9.e+-]+)", run.stdout + run.stderr)]
    res["rel_l2"] = max(l2) if l2 else None
    return res


EZKL_STAGE = r'''
import asyncio, json, sys, ezkl
stage, a = sys.argv[1], json.loads(sys.argv[2])
def run(x):
    return asyncio.run(x) if asyncio.iscoroutine(x) else x
if stage == "gen-settings":
    ra = ezkl.PyRunArgs()
    ra.input_visibility = "public"; ra.output_visibility = "public"; ra.param_visibility = "fixed"
    ok = ezkl.gen_settings(a["model"], a["settings"], py_run_args=ra)
elif stage == "calibrate-settings":
    ok = run(ezkl.calibrate_settings(a["data"], a["model"], a["settings"], a["target"]))
elif stage == "compile-circuit":
    ok = ezkl.compile_circuit(a["model"], a["compiled"], a["settings"])
elif stage == "gen-srs":
    logrows = json.load(open(a["settings"]))["run_args"]["logrows"]
    ok = ezkl.gen_srs(a["srs"], logrows); ok = True if ok is None else ok
elif stage == "gen-witness":
    ok = run(ezkl.gen_witness(a["data"], a["compiled"], a["witness"]))
elif stage == "setup":
    ok = ezkl.setup(a["compiled"], a["vk"], a["pk"], a["srs"])
elif stage == "prove":
    ok = ezkl.prove(a["witness"], a["compiled"], a["pk"], a["proof"], a["srs"])
elif stage == "verify":
    ok = ezkl.verify(a["proof"], a["settings"], a["vk"], a["srs"])
sys.exit(0 if ok not in (False, None) else 1)
'''


def run_ezkl(model, work, target, timeout):
    d = os.path.join(ROOT, "tests/data/corpus", model)
    w = os.path.join(work, f"ezkl-{target}-{model}")
    os.makedirs(w, exist_ok=True)
    a = {"model": os.path.join(d, "model.onnx"), "data": os.path.join(d, "input.json"), "target": target,
         "settings": w + "/settings.json", "compiled": w + "/model.compiled", "srs": w + "/kzg.srs",
         "witness": w + "/witness.json", "vk": w + "/vk.key", "pk": w + "/pk.key", "proof": w + "/proof.json"}
    stages = {}
    res = {"stages": stages}
    for st in ["gen-settings", "calibrate-settings", "compile-circuit", "gen-srs", "gen-witness", "setup", "prove", "verify"]:
        stages[st] = timed([sys.executable, "-c", EZKL_STAGE, st, json.dumps(a)], timeout, cwd=w)
        if not stages[st]["ok"]:
            res["failed_at"] = st
            break
    try:
        s = json.load(open(a["settings"]))
        ra = s["run_args"]
        res["settings"] = {k: ra.get(k) for k in ("logrows", "input_scale", "param_scale", "input_visibility",
                                                   "output_visibility", "param_visibility")}
    except Exception:
        pass
    if os.path.exists(a["proof"]):
        res["proof_bytes"] = len(bytes.fromhex(json.load(open(a["proof"]))["proof"][2:])) \
            if isinstance(json.load(open(a["proof"])).get("proof"), str) else os.path.getsize(a["proof"])
    if os.path.exists(a["witness"]):
        wit = json.load(open(a["witness"]))
        outs = wit.get("pretty_elements", {}).get("rescaled_outputs")
        if outs:
            ref = reference(model)
            res["rel_l2"] = max(rel_l2([float(v) for v in o], r) for o, r in zip(outs, ref))
    res["valid"] = "failed_at" not in res
    return res


def without_output(x):
    """The results without the stages' raw stdout (it names local paths)."""
    if isinstance(x, dict):
        return {k: without_output(v) for k, v in x.items() if k != "out"}
    if isinstance(x, list):
        return [without_output(v) for v in x]
    return x


def fmt_s(st):
    if st is None:
        return "-"
    if not st["ok"]:
        return "FAILED" if "timeout" not in st.get("error", "") else "timeout"
    return f"{st['wall_s']:.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("zkslice")
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS))
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--out", default=os.path.join(ROOT, "out/ezkl"))
    args = ap.parse_args()
    import ezkl
    os.makedirs(args.out, exist_ok=True)
    results = {"ezkl_version": getattr(ezkl, "__version__", "?"), "cores": os.cpu_count(), "models": {}}
    with tempfile.TemporaryDirectory() as work:
        for m in args.models.split(","):
            print(f"== {m}", flush=True)
            r = {"zkslice": run_zkslice(args.zkslice, m, work, args.timeout)}
            for target in ("accuracy", "resources"):
                r["ezkl_" + target] = run_ezkl(m, work, target, args.timeout)
                e = r["ezkl_" + target]
                print(f"   ezkl {target}: prove {fmt_s(e['stages'].get('prove'))} s"
                      + (f", failed at {e['failed_at']}: {e['stages'][e['failed_at']].get('error', '')[:160]}" if 'failed_at' in e else ""), flush=True)
            print(f"   zkslice: prove {fmt_s(r['zkslice']['stages']['prove'])} s", flush=True)
            results["models"][m] = r
            json.dump(without_output(results), open(os.path.join(args.out, "results.json"), "w"), indent=1)
    write_table(results, args.out)
    write_svg(results, args.out)


def write_table(results, out):
    rows = ["| model | system | setup stages (s) | prove (s) | verify (s) | peak memory (MB) | proof (KB) | rel. L2 vs reference | prove ratio EZKL / zkslice |",
            "|---|---|---|---|---|---|---|---|---|"]
    for m, r in results["models"].items():
        zk = r["zkslice"]["stages"]["prove"]
        for sysname in ("zkslice", "ezkl_accuracy", "ezkl_resources"):
            e = r[sysname]
            st = e["stages"]
            setup_names = ["compile"] if sysname == "zkslice" else ["gen-settings", "calibrate-settings", "compile-circuit", "gen-srs", "gen-witness", "setup"]
            setup = " + ".join(f"{n} {fmt_s(st.get(n))}" for n in setup_names if n in st)
            peak = max([s["rss_mb"] or 0 for s in st.values()] + [0])
            ratio = "-"
            if sysname != "zkslice" and st.get("prove", {}).get("ok") and zk["ok"]:
                ratio = f"{st['prove']['wall_s'] / zk['wall_s']:.0f}x"
            fail = f" (failed at {e['failed_at']}: {st[e['failed_at']].get('error', '')[:80]})" if "failed_at" in e else ""
            kb = f"{e['proof_bytes'] / 1024:.0f}" if e.get("proof_bytes") else "-"
            l2 = f"{e['rel_l2']:.2e}" if e.get("rel_l2") is not None else "-"
            rows.append(f"| {m} | {sysname.replace('_', ' ')}{fail} | {setup} | {fmt_s(st.get('prove'))} | {fmt_s(st.get('verify'))} | {peak:.0f} | {kb} | {l2} | {ratio} |")
    # Ratios EZKL / zkslice per stage (EZKL's accuracy calibration): its one-time stages
    # against zkslice's compile, then prove and verify.
    rows += ["", "| model | one-time stages: EZKL / zkslice compile | prove: EZKL / zkslice | verify: EZKL / zkslice |", "|---|---|---|---|"]
    for m, r in results["models"].items():
        zk, ez = r["zkslice"]["stages"], r["ezkl_accuracy"]["stages"]
        def ratio(a, b):
            return f"{a / b:.0f}x" if a and b else "-"
        once = ["gen-settings", "calibrate-settings", "compile-circuit", "gen-srs", "setup"]
        total = sum(ez[n]["wall_s"] for n in once if n in ez and ez[n]["ok"]) if all(ez.get(n, {}).get("ok") for n in once) else None
        cells = [ratio(total, zk["compile"]["wall_s"] if zk["compile"]["ok"] else None)]
        for st in ("prove", "verify"):
            cells.append(ratio(ez[st]["wall_s"] if ez.get(st, {}).get("ok") else None, zk[st]["wall_s"] if zk[st]["ok"] else None))
        if "failed_at" in r["ezkl_accuracy"]:
            cells = [c if c != "-" else f"EZKL failed at {r['ezkl_accuracy']['failed_at']}" for c in cells]
        rows.append(f"| {m} | " + " | ".join(cells) + " |")
    text = "\n".join(rows) + "\n"
    open(os.path.join(out, "table.md"), "w").write(text)
    print(text)


def write_svg(results, out):
    """Prove time per model, log scale: zkslice and EZKL (accuracy, resources)."""
    models = list(results["models"])
    series = [("zkslice", "#2b7bb9"), ("ezkl_accuracy", "#d95f02"), ("ezkl_resources", "#7570b3")]
    W, H, left, bottom, top = 760, 360, 70, 60, 30
    lo, hi = -2, 3  # 10^-2 .. 10^3 s
    def y(v):
        v = min(max(math.log10(max(v, 1e-2)), lo), hi)
        return top + (H - top - bottom) * (hi - v) / (hi - lo)
    group = (W - left - 20) / max(1, len(models))
    bw = group / (len(series) + 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
             f'<text x="{W/2}" y="18" text-anchor="middle" font-size="13">Prove time (s, log scale), {results["cores"]} cores</text>']
    for e in range(lo, hi + 1):
        parts.append(f'<line x1="{left}" x2="{W-20}" y1="{y(10**e):.1f}" y2="{y(10**e):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left-6}" y="{y(10**e)+4:.1f}" text-anchor="end">1e{e}</text>')
    for i, m in enumerate(models):
        for k, (s, color) in enumerate(series):
            st = results["models"][m][s]["stages"].get("prove")
            x0 = left + i * group + (k + 0.5) * bw
            if st and st["ok"]:
                parts.append(f'<rect x="{x0:.1f}" y="{y(st["wall_s"]):.1f}" width="{bw*0.9:.1f}" height="{H-bottom-y(st["wall_s"]):.1f}" fill="{color}"/>')
            else:
                parts.append(f'<text x="{x0+bw*0.45:.1f}" y="{H-bottom-4}" text-anchor="middle" fill="{color}">x</text>')
        parts.append(f'<text x="{left + (i+0.5)*group:.1f}" y="{H-bottom+16}" text-anchor="middle">{m}</text>')
    for k, (s, color) in enumerate(series):
        parts.append(f'<rect x="{left + k*170}" y="{H-22}" width="12" height="12" fill="{color}"/>'
                     f'<text x="{left + k*170 + 16}" y="{H-12}">{s.replace("_", " ")} (x = failed)</text>')
    parts.append("</svg>")
    open(os.path.join(out, "ezkl_vs_zkslice.svg"), "w").write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
