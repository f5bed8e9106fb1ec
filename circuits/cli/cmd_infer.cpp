// `zkslice infer --validator HOST:PORT --model ID --input IN.json --out BUNDLE` and
// `zkslice weights --validator HOST:PORT`: a client of a validator.
//
// infer: fetches the compiled model by its id (GetModel, addressed to "whoever
// answers"; the answer's signer is the validator): the full manifest, its content hash
// checked, or the verify-only one (weights withheld, the default for clients), which
// names the id but cannot be checked against it, so --fp must pin its fingerprint,
// quantizes the input with the model's scales, sends a signed Infer to that validator,
// writes the bundle, and verifies it offline before reporting (exit 1 if it does not
// verify). --save-model DIR keeps the manifest so `zkslice verify DIR BUNDLE` can check
// the bundle again later. Without --key a fresh key is used for this call.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "circuits/slice/bundle.hpp"
#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "crypto/key_file.hpp"
#include "model/io.hpp"
#include "rpc/rpc.hpp"
#include "util/bytes.hpp"
#include "zkslice/v1/validator.pb.h"

namespace zks::cli {

namespace {

namespace pb = zkslice::v1;

Result<crypto::Keypair> client_key(const std::string& file) {
  if (file.empty()) return crypto::Keypair::generate();
  return crypto::load_key(file);
}

std::span<const uint8_t> bytes_of(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

int run_infer(const std::string& target, const std::string& key_file, const std::string& model_hex, const std::string& pin,
              const std::string& input, const std::string& out, const std::string& save_model, double timeout_s, bool json) {
  auto key = client_key(key_file);
  if (!key.ok()) return fail(key.error());
  hash::Digest id{}, pinned{};
  if (model_hex.size() != 64 || !crypto::decode_hex(model_hex, id)) return fail("--model must be 64 hex digits (the manifest hash)");
  if (!pin.empty() && (pin.size() != 64 || !crypto::decode_hex(pin, pinned))) return fail("--fp expects 64 hex digits");
  const auto timeout = std::chrono::milliseconds(int64_t(timeout_s * 1000));
  // 1. The model, from the validator (content hash checked); the signer is the validator.
  rpc::SignedClient anyone(target, *key, crypto::PublicKey{});
  pb::GetModelRequest gm;
  gm.set_protocol_version(rpc::kProtocolVersion);
  gm.set_model(std::string(id.begin(), id.end()));
  auto got = anyone.call(rpc::method::kValidatorGetModel, gm.SerializeAsString(), timeout);
  if (!got.status.ok()) return fail("GetModel from " + target + ": " + got.status.error_message());
  pb::GetModelResponse gmr;
  if (!gmr.ParseFromString(got.body)) return fail("GetModel from " + target + ": malformed answer");
  auto man = slicer::parse_manifest(bytes_of(gmr.manifest()));
  if (!man.ok()) return fail("the validator's manifest: " + man.error());
  // A full manifest hashes to the id; a verify-only one (the weights withheld) names it,
  // and what it stands for is its fingerprint, which only --fp pins.
  if (man->verify_only() ? !std::equal(id.begin(), id.end(), man->published_from.begin())
                         : slicer::manifest_hash(bytes_of(gmr.manifest())) != id)
    return fail("the validator's manifest is not the model --model names");
  if (man->verify_only() && pin.empty())
    return fail("the validator sent the model's verify-only manifest (its weights withheld), so --model cannot be "
                "checked against it: pass --fp with the model owner's fingerprint (this one says " +
                util::to_hex(man->fingerprint) + ")");
  if (!save_model.empty()) {
    std::filesystem::create_directories(save_model);
    if (auto s = write_bytes(save_model + "/manifest.pb", bytes_of(gmr.manifest())); !s.ok()) return fail(s.error());
  }
  // 2. The input, quantized as the model says.
  const auto& m = man->model;
  auto sent = load_integer_inputs(m, input, /*whole_run=*/!man->verify_only());
  if (!sent.ok()) return fail(sent.error());
  pb::InferRequest req;
  req.set_protocol_version(rpc::kProtocolVersion);
  req.set_model(std::string(id.begin(), id.end()));
  req.set_deadline_ms(uint32_t(timeout_s * 1000));
  for (size_t i = 0; i < m.inputs.size(); ++i) {
    auto* x = req.add_inputs();
    x->set_id(m.inputs[i]);
    x->mutable_values()->Add((*sent)[i].begin(), (*sent)[i].end());
  }
  // 3. Infer, addressed to the validator that signed the model.
  rpc::SignedClient validator(target, *key, got.signer);
  auto t0 = std::chrono::steady_clock::now();
  auto r = validator.call(rpc::method::kValidatorInfer, req.SerializeAsString(), timeout + std::chrono::seconds(5));
  double total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!r.status.ok()) return fail("Infer: " + r.status.error_message());
  pb::InferResponse resp;
  if (!resp.ParseFromString(r.body)) return fail("Infer: malformed answer");
  if (auto s = write_bytes(out, bytes_of(resp.bundle())); !s.ok()) return fail(s.error());
  // 4. Verify offline, before believing the answer.
  auto bundle = circuits::Bundle::read(bytes_of(resp.bundle()));
  if (!bundle.ok()) return fail("the bundle: " + bundle.error());
  auto v0 = std::chrono::steady_clock::now();
  std::vector<circuits::SliceTiming> verified;
  Status valid = circuits::verify_bundle(*man, id, *bundle, pcs::Params::standard(), &verified, pin.empty() ? nullptr : &pinned);
  if (valid.ok()) valid = circuits::check_bundle_input(*man, *bundle, *sent);  // and it answers this input
  double verify_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - v0).count();
  if (json) {
    nlohmann::json j{{"valid", valid.ok()}, {"request_id", resp.request_id()}, {"total_ms", total_ms},
                     {"verify_ms", verify_ms}, {"bundle_bytes", resp.bundle().size()}};
    if (!valid.ok()) j["reason"] = valid.error();
    else j["soundness_bits"] = circuits::bundle_soundness_bits(verified);
    j["slices"] = nlohmann::json::array();
    for (const auto& s : resp.slices())
      j["slices"].push_back({{"slice", s.slice()}, {"miner", s.miner()}, {"latency_ms", s.latency_ms()}, {"proof_bytes", s.proof_bytes()}});
    j["outputs"] = nlohmann::json::object();
    for (int t : m.outputs) {
      std::vector<double> o;
      for (int64_t x : bundle->tensors.at(t)) o.push_back(std::ldexp(double(x), -m.tensors[t].scale));
      j["outputs"][m.tensors[t].name] = o;
    }
    fmt::print("{}\n", j.dump(2));
    return valid.ok() ? 0 : 1;
  }
  if (!valid.ok()) return fail("the bundle does not verify: " + valid.error());
  fmt::print("answer in {:.0f} ms from {} (request {}), bundle {} ({} bytes) VALID, verified offline in {:.1f} ms, "
             "{:.1f} bits of soundness\n",
             total_ms, got.signer.to_string(), resp.request_id(), out, resp.bundle().size(), verify_ms,
             circuits::bundle_soundness_bits(verified));
  for (const auto& s : resp.slices())
    fmt::print("  slice {}: proved by {}... in {:.0f} ms, {} bytes\n", s.slice(), s.miner().substr(0, 16), s.latency_ms(), s.proof_bytes());
  for (int t : m.outputs) {
    const auto& v = bundle->tensors.at(t);
    fmt::print("  output {} ({} values):", m.tensors[t].name, v.size());
    for (size_t i = 0; i < std::min<size_t>(v.size(), 10); ++i) fmt::print(" {:.5g}", std::ldexp(double(v[i]), -m.tensors[t].scale));
    fmt::print("{}\n", v.size() > 10 ? " ..." : "");
  }
  return 0;
}

int run_weights(const std::string& target, const std::string& key_file, double timeout_s, bool json) {
  auto j = fetch_weights(target, key_file, timeout_s);
  if (!j.ok()) return fail(j.error());
  if (json) {
    fmt::print("{}\n", j->dump(2));
    return 0;
  }
  fmt::print("validator {} epoch {}\n", (*j)["validator"].get<std::string>(), (*j)["epoch"].get<uint64_t>());
  fmt::print("  {:>4}  {:<20} {:<22} {:>8} {:>7} {:>8}\n", "uid", "hotkey", "endpoint", "score", "strikes", "weight");
  for (const auto& m : (*j)["miners"])
    fmt::print("  {:>4}  {:<20} {:<22} {:>8.4f} {:>7} {:>8.4f}\n", m["uid"].get<uint32_t>(),
               m["hotkey"].get<std::string>().substr(0, 20), m["endpoint"].get<std::string>(), m["score"].get<double>(),
               m["strikes"].get<uint32_t>(), m["weight"].get<double>());
  return 0;
}

}  // namespace

Result<nlohmann::json> fetch_weights(const std::string& target, const std::string& key_file, double timeout_s) {
  auto key = client_key(key_file);
  if (!key.ok()) return make_error(key.error());
  const auto timeout = std::chrono::milliseconds(int64_t(timeout_s * 1000));
  rpc::SignedClient anyone(target, *key, crypto::PublicKey{});
  pb::GetWeightsRequest gw;
  gw.set_protocol_version(rpc::kProtocolVersion);
  auto w = anyone.call(rpc::method::kValidatorGetWeights, gw.SerializeAsString(), timeout);
  if (!w.status.ok()) return make_error(target + ": GetWeights: " + w.status.error_message());
  pb::ListMinersRequest lm;
  lm.set_protocol_version(rpc::kProtocolVersion);
  auto l = anyone.call(rpc::method::kValidatorListMiners, lm.SerializeAsString(), timeout);
  if (!l.status.ok()) return make_error(target + ": ListMiners: " + l.status.error_message());
  if (l.signer.to_string() != w.signer.to_string())
    return make_error(target + ": GetWeights and ListMiners were answered by different validators");
  pb::GetWeightsResponse weights;
  pb::ListMinersResponse miners;
  if (!weights.ParseFromString(w.body) || !miners.ParseFromString(l.body)) return make_error(target + ": malformed answer");
  std::map<uint32_t, double> by_uid;
  for (int i = 0; i < weights.uids_size() && i < weights.weights_size(); ++i) by_uid[weights.uids(i)] = weights.weights(i);
  nlohmann::json j{{"validator", w.signer.to_string()}, {"epoch", weights.epoch()}, {"miners", nlohmann::json::array()}};
  for (const auto& m : miners.miners())
    j["miners"].push_back({{"uid", m.uid()}, {"hotkey", m.hotkey()}, {"endpoint", m.endpoint()}, {"score", m.score()},
                           {"strikes", m.strikes()}, {"weight", by_uid.count(m.uid()) ? by_uid[m.uid()] : 0.0}});
  return j;
}

void register_infer(CLI::App& app, Context& ctx) {
  auto* i = app.add_subcommand("infer", "Ask a validator for a proved inference; verify the bundle offline");
  static std::string target, key, model, pin, input, out, save;
  static double timeout_s = 120;
  static bool json = false;
  i->add_option("--validator", target, "HOST:PORT of the validator")->required();
  i->add_option("--model", model, "The model id (manifest hash, 64 hex digits)")->required();
  i->add_option("--fp", pin, "The model fingerprint to pin (64 hex digits, printed by zkslice compile)");
  i->add_option("--input", input, "Input JSON (corpus format)")->required();
  i->add_option("--out", out, "Where to write the proof bundle")->required();
  i->add_option("--key", key, "Your hotkey file (default: a fresh key for this call)");
  i->add_option("--save-model", save, "Also write the model's manifest.pb into this directory");
  i->add_option("--timeout", timeout_s, "Seconds to wait");
  i->add_flag("--json", json, "Print JSON");
  i->callback([&ctx] { ctx.exit_code = run_infer(target, key, model, pin, input, out, save, timeout_s, json); });

  auto* w = app.add_subcommand("weights", "A validator's miners, scores and current weights");
  static std::string wtarget, wkey;
  static double wtimeout = 10;
  static bool wjson = false;
  w->add_option("--validator", wtarget, "HOST:PORT of the validator")->required();
  w->add_option("--key", wkey, "Your hotkey file (default: a fresh key for this call)");
  w->add_option("--timeout", wtimeout, "Seconds to wait");
  w->add_flag("--json", wjson, "Print JSON");
  w->callback([&ctx] { ctx.exit_code = run_weights(wtarget, wkey, wtimeout, wjson); });
}

}  // namespace zks::cli
