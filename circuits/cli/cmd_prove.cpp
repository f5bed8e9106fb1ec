// `zkslice prove DIR --input IN.json --out BUNDLE` and `zkslice verify DIR BUNDLE`:
// prove every slice of a compiled model on an input (slices in parallel, progress on
// stderr) and check a bundle offline. Exit codes: 0 valid / proved, 1 invalid or
// failed (with the reason), 2 usage.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "circuits/slice/bundle.hpp"
#include "circuits/slice/fingerprint.hpp"
#include "circuits/slice/phase_clock.hpp"
#include "circuits/slice/private_proof.hpp"
#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "crypto/keys.hpp"
#include "model/io.hpp"
#include "model/quantize.hpp"
#include "pcs/basefold.hpp"
#include "util/memory.hpp"
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

void print_output(const model::QModel& m, size_t o, std::span<const int64_t> v) {
  const auto& t = m.tensors[size_t(m.outputs[o])];
  fmt::print("  output {} ({} values at scale 2^-{}):", t.name, v.size(), t.scale);
  for (size_t i = 0; i < std::min<size_t>(v.size(), 10); ++i) fmt::print(" {:.5g}", std::ldexp(double(v[i]), -t.scale));
  fmt::print("{}\n", v.size() > 10 ? " ..." : "");
}

// The model's FP, checked against the manifest (zero when it is not sealed).
Result<hash::Digest> sealed_fingerprint(const slicer::Manifest& man) {
  if (man.fingerprint.empty()) return hash::Digest{};
  return circuits::check_sealed(man, pcs::Params::standard());
}

// `prove --private`: the whole model in one zero-knowledge proof of its output, or a
// bundle of one a slice (--sliced, --slices N); the input stays on this machine
// (circuits/slice/private_proof.hpp).
// The codeword budget of a private proof: --codeword-memory MB, or else an eighth of this
// machine's memory (at least prove_private's default).
size_t codeword_budget(double mb) {
  if (mb >= 0) return mb >= double(SIZE_MAX >> 20) ? SIZE_MAX : size_t(mb * double(1 << 20));
  return std::max(circuits::kDefaultCodewordMemory, util::physical_memory_bytes() / 8);
}

// `slices`: 0 proves the whole model in one proof; kManifestSlices, the manifest's slices;
// else that many slices balanced by the slicer's cost model (balanced_ranges).
constexpr size_t kManifestSlices = SIZE_MAX;
int run_prove_private(const std::string& dir, const std::string& input, const std::string& out, bool json,
                      double codeword_mb, size_t slices) {
  const bool sliced = slices != 0;
  auto compiled = load_compiled(dir);
  if (!compiled.ok()) return fail(compiled.error());
  if (auto s = need_weights(compiled->manifest, dir); !s.ok()) return fail(s.error());
  const auto& m = compiled->manifest.model;
  if (auto s = circuits::check_private_provable(m); !s.ok()) return fail(s.error());
  circuits::PrivateStatement st;
  st.model = &m;
  auto fp = sealed_fingerprint(compiled->manifest);
  if (!fp.ok()) return fail(fp.error());
  st.fingerprint = *fp;
  std::vector<std::vector<int64_t>> inputs;
  if (sliced) {  // the inputs alone: the bundle's prover runs the model and states its outputs
    auto q = load_integer_inputs(m, input, /*whole_run=*/false);
    if (!q.ok()) return fail(q.error());
    inputs = std::move(*q);
  } else {  // one proof states the model's outputs: run it first
    auto tensors = load_model_inputs(m, input);
    if (!tensors.ok()) return fail(tensors.error());
    auto run = model::run_int(m, *tensors);
    if (!run.ok()) return fail(run.error());
    for (int t : m.outputs) st.outputs.push_back(run->values[size_t(t)]);
    for (int t : m.inputs) inputs.push_back(run->values[size_t(t)]);
  }  // the run goes here: the prover runs the model again, column by column
  const auto ranges = slices == kManifestSlices ? slicer::node_ranges(compiled->manifest.slices)
                                                : circuits::balanced_ranges(m, slices);
  if (!json)
    fmt::print(stderr, "proving the model's output on a private input (zero knowledge){}\n",
               sliced ? fmt::format(", one proof for each of {} slices", ranges.size()) : std::string());
  const auto report = [&](const std::string& phase, double ms) {
    if (!json) fmt::print(stderr, "  {} done in {:.0f} ms\n", phase, ms);
  };
  auto t0 = std::chrono::steady_clock::now();
  util::Bytes bytes;
  std::vector<circuits::SliceTiming> timings;
  if (sliced) {
    auto b = circuits::prove_private_bundle(m, ranges, st.fingerprint, st.binding, inputs,
                                            pcs::Params::standard(), circuits::random_seed(), report,
                                            codeword_budget(codeword_mb), &timings);
    if (!b.ok()) return fail(b.error());
    // Each slice is sound to 100 bits alone; together they must be too (the union bound),
    // which only their verification counts: checked here, so a bundle of too many slices
    // is refused with the reason, not written.
    const auto v0 = std::chrono::steady_clock::now();
    if (Status s = circuits::verify_private_bundle(m, st.fingerprint, st.binding, *b, pcs::Params::standard());
        !s.ok())
      return fail("the private bundle does not verify: " + s.error());
    if (!json)
      fmt::print(stderr, "  the bundle checked in {:.0f} ms\n",
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - v0).count());
    bytes = b->write();
  } else {
    auto proof = circuits::prove_private(st, inputs, pcs::Params::standard(), circuits::random_seed(), {}, report,
                                         codeword_budget(codeword_mb));
    if (!proof.ok()) return fail(proof.error());
    bytes = circuits::PrivateProofFile{st.outputs, *proof}.write();
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (auto s = write_bytes(out, bytes); !s.ok()) return fail(s.error());
  if (json) {
    nlohmann::json j;
    j["private"] = true;
    j["prove_ms"] = ms;
    j["proof_bytes"] = bytes.size();
    j["peak_memory_mb"] = circuits::peak_memory_mb();
    if (sliced) j["slices"] = timings_json(timings, "prove_ms");
    fmt::print("{}\n", j.dump(2));
  } else {
    for (size_t k = 0; k < timings.size(); ++k)
      fmt::print("  slice {}: proved in {:.1f} ms, {} bytes\n", k, timings[k].ms, timings[k].proof_bytes);
    fmt::print("proved the output in {:.1f} ms (peak memory {:.0f} MB); private {} {} ({} bytes; the input is "
               "not in it)\n",
               ms, circuits::peak_memory_mb(), sliced ? "bundle" : "proof", out, bytes.size());
  }
  return 0;
}

int run_verify_private(const CompiledModel& compiled, std::span<const uint8_t> bytes, const std::string& pin,
                       const std::string& input, bool json) {
  if (!input.empty()) return fail("--input: a private proof does not carry its input, so it cannot be compared");
  const auto& man = compiled.manifest;
  hash::Digest pinned{};
  if (!pin.empty() && (pin.size() != 64 || !crypto::decode_hex(pin, pinned))) return fail("--fp expects 64 hex digits");
  // One proof of the whole model, or a bundle of one a slice.
  const bool sliced = circuits::PrivateBundleFile::is_one(bytes);
  Result<circuits::PrivateBundleFile> file = make_error("");
  if (sliced) {
    file = circuits::PrivateBundleFile::read(bytes);
  } else if (auto one = circuits::PrivateProofFile::read(bytes); one.ok()) {
    file = circuits::PrivateBundleFile{std::move(one->outputs), {}, {}, {std::move(one->proof)}};
  } else {
    file = make_error(one.error());
  }
  Status s = file.ok() ? Status() : Status(make_error(file.error()));
  auto fp = sealed_fingerprint(man);
  if (s.ok() && !fp.ok()) s = make_error(fp.error());
  if (s.ok() && !pin.empty() && man.fingerprint.empty())
    s = make_error("the manifest is not sealed, so it has no fingerprint to pin");
  if (s.ok() && !pin.empty() && *fp != pinned)
    s = make_error("the manifest's fingerprint is not the pinned one (another model)");
  if (s.ok() && man.verify_only())
    s = make_error("a private proof is checked against the model's weights (a full manifest, not a verify-only one)");
  std::vector<circuits::SliceTiming> timings;
  double ms = 0;
  if (s.ok()) {
    auto t0 = std::chrono::steady_clock::now();
    if (sliced) {
      s = circuits::verify_private_bundle(man.model, *fp, {}, *file, pcs::Params::standard(), &timings);
    } else {
      circuits::PrivateStatement st;
      st.model = &man.model;
      st.fingerprint = *fp;
      st.outputs = file->outputs;
      auto& one = timings.emplace_back();
      s = circuits::verify_private(st, file->proofs[0], pcs::Params::standard(), &one.soundness);
    }
    ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  if (json) {
    nlohmann::json j;
    j["valid"] = s.ok();
    j["private"] = true;
    if (!s.ok()) j["reason"] = s.error();
    else j["verify_ms"] = ms, j["soundness_bits"] = circuits::bundle_soundness_bits(timings), j["outputs"] = file->outputs;
    if (sliced && s.ok()) j["slices"] = timings_json(timings, "verify_ms");
    j["fingerprint"] = util::to_hex(man.fingerprint);
    fmt::print("{}\n", j.dump(2));
  } else if (s.ok()) {
    fmt::print("VALID: private {} verified in {:.2f} ms (model fingerprint {}{}); the input stays hidden\n",
               sliced ? fmt::format("bundle of {} slices", timings.size()) : std::string("proof"), ms,
               util::to_hex(man.fingerprint), pin.empty() ? ", not pinned: pass --fp to pin it" : ", pinned");
    if (sliced) {
      fmt::print("  soundness: {:.1f} bits (the slices' errors summed)\n", circuits::bundle_soundness_bits(timings));
      for (size_t j = 0; j < timings.size(); ++j)
        fmt::print("  slice {}: verified in {:.2f} ms, proof {} bytes, soundness {}\n", j, timings[j].ms,
                   timings[j].proof_bytes, timings[j].soundness.describe());
    } else {
      fmt::print("  soundness: {}\n", timings[0].soundness.describe());
    }
    for (size_t o = 0; o < file->outputs.size(); ++o) print_output(man.model, o, file->outputs[o]);
  } else {
    fmt::print("INVALID: {}\n", s.error());
  }
  return s.ok() ? 0 : 1;
}

int run_verify(const std::string& dir, const std::string& path, const std::string& pin, const std::string& input,
               bool json) {
  auto compiled = load_compiled(dir);
  if (!compiled.ok()) return fail(compiled.error());
  hash::Digest pinned{};
  if (!pin.empty() && (pin.size() != 64 || !crypto::decode_hex(pin, pinned))) return fail("--fp expects 64 hex digits");
  auto bytes = read_bytes(path);
  if (!bytes.ok()) return fail(bytes.error());
  if (circuits::PrivateProofFile::is_one(*bytes) || circuits::PrivateBundleFile::is_one(*bytes))
    return run_verify_private(*compiled, *bytes, pin, input, json);
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
  static bool priv = false;
  p->add_flag("--private", priv,
              "Prove the whole model's output in zero knowledge: the proof reveals nothing of the input (dense "
              "networks: Gemm, Relu, table and function ops)");
  static bool sliced = false;
  p->add_flag("--sliced", sliced,
              "With --private: one proof for each of the manifest's slices (the peak memory a slice's, not the whole "
              "model's), stitched by commitments to the tensors crossing the cuts");
  static size_t private_slices = 0;
  p->add_option("--slices", private_slices,
                "With --private: as --sliced, but N slices of about equal size, whatever the manifest's slicing")
      ->check(CLI::Range(size_t(1), size_t(16)));
  static double codeword_mb = -1;
  p->add_option("--codeword-memory", codeword_mb,
                "With --private: the most MB the commitments' codewords stay in memory in for the opening; past it "
                "they are made again there (slower, less memory). Default: an eighth of this machine's memory")
      ->check(CLI::Validator(
          [](std::string& v) {
            char* end = nullptr;
            const double mb = std::strtod(v.c_str(), &end);
            return end != v.c_str() && *end == '\0' && std::isfinite(mb) && mb >= 0
                       ? std::string()
                       : "expects a number of MB, 0 or more";
          },
          "MB"));
  p->callback([&ctx] {
    if ((sliced || private_slices > 0) && !priv) {
      fmt::print(stderr,
                 "error: --sliced and --slices go with --private (a bundle of sound proofs has the manifest's slices; "
                 "compile --slices N sets them)\n");
      ctx.exit_code = 2;
      return;
    }
    if (sliced && private_slices > 0) {
      fmt::print(stderr, "error: --sliced (the manifest's slices) or --slices N, not both\n");
      ctx.exit_code = 2;
      return;
    }
    const size_t slices = private_slices > 0 ? private_slices : sliced ? kManifestSlices : 0;
    ctx.exit_code =
        priv ? run_prove_private(dir, input, out, json, codeword_mb, slices) : run_prove(dir, input, out, jobs, json);
  });

  auto* v = app.add_subcommand("verify", "Verify a proof bundle (or a private proof) against a compiled model");
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
