// `zkslice prove DIR --input IN.json --out BUNDLE` and `zkslice verify DIR BUNDLE`:
// prove every slice of a compiled model on an input (slices in parallel, progress on
// stderr) and check a bundle offline. Exit codes: 0 valid / proved, 1 invalid or
// failed (with the reason), 2 usage.
#include <chrono>
#include <cstdio>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "circuits/slice/bundle.hpp"
#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "crypto/keys.hpp"
#include "model/io.hpp"
#include "pcs/basefold.hpp"
#include "util/thread_pool.hpp"

namespace zks::cli {

namespace {

nlohmann::json timings_json(const std::vector<circuits::SliceTiming>& t, const char* key) {
  auto arr = nlohmann::json::array();
  for (size_t j = 0; j < t.size(); ++j) {
    arr.push_back({{"slice", j}, {key, t[j].ms}, {"proof_bytes", t[j].proof_bytes}});
    if (t[j].soundness.total() > 0) arr.back()["soundness_bits"] = t[j].soundness.bits();
  }
  return arr;
}

int run_prove(const std::string& dir, const std::string& input, const std::string& out, size_t jobs, bool json) {
  auto compiled = load_compiled(dir);
  if (!compiled.ok()) return fail(compiled.error());
  if (auto s = need_weights(compiled->manifest, dir); !s.ok()) return fail(s.error());
  auto inputs = load_integer_inputs(compiled->manifest.model, input);
  if (!inputs.ok()) return fail(inputs.error());

  const auto params = pcs::Params::standard();
  const size_t n = compiled->manifest.slices.size();
  // One run proves each slice once: nothing would reuse a cached weight commitment, and
  // keeping them would grow the process slice by slice (a miner keeps them: its next
  // job reuses them). A slice's prover then takes what the slicer estimated for it.
  pcs::set_commit_cache_capacity(0);
  if (jobs == 0) jobs = std::max<size_t>(1, std::min<size_t>(n, util::ThreadPool::global().size()));
  if (!json) fmt::print(stderr, "proving {} slices on {} jobs\n", n, jobs);
  size_t done = 0;
  std::vector<circuits::SliceTiming> timings;
  auto t0 = std::chrono::steady_clock::now();
  auto bundle = circuits::prove_bundle(compiled->manifest, compiled->hash, *inputs, params, jobs, &timings,
                                       [&](size_t j, const circuits::SliceTiming& t) {
                                         if (!json)
                                           fmt::print(stderr, "[{}/{}] slice {} proved in {:.1f} ms, {} bytes\n", ++done, n,
                                                      j, t.ms, t.proof_bytes);
                                       });
  if (!bundle.ok()) return fail(bundle.error());
  double total = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  auto bytes = bundle->write();
  if (auto s = write_bytes(out, bytes); !s.ok()) return fail(s.error());
  if (json) {
    nlohmann::json j;
    j["slices"] = timings_json(timings, "prove_ms");
    j["total_ms"] = total;
    j["bundle_bytes"] = bytes.size();
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("proved {} slices in {:.1f} ms; bundle {} ({} bytes)\n", n, total, out, bytes.size());
  }
  return 0;
}

int run_verify(const std::string& dir, const std::string& path, const std::string& pin, const std::string& input,
               bool json) {
  auto compiled = load_compiled(dir);
  if (!compiled.ok()) return fail(compiled.error());
  hash::Digest pinned{};
  if (!pin.empty() && (pin.size() != 64 || !crypto::decode_hex(pin, pinned))) return fail("--fp expects 64 hex digits");
  auto bytes = read_bytes(path);
  if (!bytes.ok()) return fail(bytes.error());
  auto bundle = circuits::Bundle::read(*bytes);
  if (!bundle.ok()) return fail("invalid bundle: " + bundle.error());
  std::vector<circuits::SliceTiming> timings;
  Status s = circuits::verify_bundle(compiled->manifest, compiled->hash, *bundle, pcs::Params::standard(), &timings,
                                     pin.empty() ? nullptr : &pinned);
  const auto& m = compiled->manifest.model;
  if (s.ok() && !input.empty()) {  // the input the bundle must answer
    auto sent = load_integer_inputs(m, input, /*whole_run=*/false);
    if (!sent.ok()) return fail(sent.error());
    s = circuits::check_bundle_input(compiled->manifest, *bundle, *sent);
  }
  if (json) {
    nlohmann::json j;
    j["valid"] = s.ok();
    if (!s.ok()) j["reason"] = s.error();
    else {
      j["slices"] = timings_json(timings, "verify_ms");
      j["soundness_bits"] = circuits::bundle_soundness_bits(timings);
    }
    j["fingerprint"] = util::to_hex(compiled->manifest.fingerprint);
    j["verify_only"] = compiled->manifest.verify_only();
    fmt::print("{}\n", j.dump(2));
  } else if (s.ok()) {
    fmt::print("VALID: {} slices verified (model fingerprint {}{}{})\n", timings.size(),
               util::to_hex(compiled->manifest.fingerprint), pin.empty() ? ", not pinned: pass --fp to pin it" : ", pinned",
               compiled->manifest.verify_only() ? "; verify-only manifest" : "");
    fmt::print("  soundness: {:.1f} bits (the interactive protocol's error, grinding counted as work)\n",
               circuits::bundle_soundness_bits(timings));
    for (size_t j = 0; j < timings.size(); ++j)
      fmt::print("  slice {}: verified in {:.2f} ms, proof {} bytes, soundness {}\n", j, timings[j].ms,
                 timings[j].proof_bytes, timings[j].soundness.describe());
    for (int t : m.outputs) {
      const auto& v = bundle->tensors.at(t);
      fmt::print("  output {} ({} values at scale 2^-{}):", m.tensors[t].name, v.size(), m.tensors[t].scale);
      for (size_t i = 0; i < std::min<size_t>(v.size(), 10); ++i) fmt::print(" {:.5g}", std::ldexp(double(v[i]), -m.tensors[t].scale));
      fmt::print("{}\n", v.size() > 10 ? " ..." : "");
    }
  } else {
    fmt::print("INVALID: {}\n", s.error());
  }
  return s.ok() ? 0 : 1;
}

}  // namespace

void register_prove(CLI::App& app, Context& ctx) {
  auto* p = app.add_subcommand("prove", "Prove every slice of a compiled model on an input");
  static std::string dir, input, out;
  static size_t jobs = 0;
  static bool json = false;
  p->add_option("dir", dir, "Directory holding manifest.pb (from zkslice compile)")->required();
  p->add_option("--input", input, "Input JSON (corpus format)")->required();
  p->add_option("--out", out, "Where to write the proof bundle")->required();
  p->add_option("--jobs", jobs, "Slices proved at once (0 = one per core, at most the slice count)");
  p->add_flag("--json", json, "Per-slice prove time and proof size as JSON");
  p->callback([&ctx] { ctx.exit_code = run_prove(dir, input, out, jobs, json); });

  auto* v = app.add_subcommand("verify", "Verify a proof bundle against a compiled model");
  static std::string vdir, bundle, pin;
  static bool vjson = false;
  v->add_option("dir", vdir, "Directory holding manifest.pb")->required();
  v->add_option("bundle", bundle, "The proof bundle")->required();
  v->add_option("--fp", pin, "The model fingerprint to pin (64 hex digits, printed by zkslice compile)");
  static std::string vinput;
  v->add_option("--input", vinput, "Input JSON the bundle must answer (corpus format); without it, any input");
  v->add_flag("--json", vjson, "Validity, reason and per-slice verify time as JSON");
  v->callback([&ctx] { ctx.exit_code = run_verify(vdir, bundle, pin, vinput, vjson); });
}

}  // namespace zks::cli
