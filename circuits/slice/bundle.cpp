#include "circuits/slice/bundle.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "circuits/slice/fingerprint.hpp"
#include "circuits/slice/slice_proof.hpp"

namespace zks::circuits {

namespace {

constexpr uint32_t kMagic = 0x42534b5a;  // "ZKSB"
constexpr uint32_t kBundleVersion = 4;  // 4: tensor values as zigzag varints
constexpr uint64_t kMaxTensorValues = uint64_t(1) << 28;
constexpr uint32_t kMaxCount = 1 << 20;

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// A model input or output (public in every bundle: rule 12).
bool is_model_io(const model::QModel& m, int t) {
  for (const auto* ids : {&m.inputs, &m.outputs})
    for (int u : *ids)
      if (u == t) return true;
  return false;
}

// Integer values given for boundary tensor t: its size, and inside the activation range.
Status check_boundary_values(const model::QModel& m, int t, const std::vector<int64_t>& v) {
  const auto& name = m.tensors[t].name;
  const int64_t n = model::numel(m.tensors[t].shape);
  if (v.size() != uint64_t(n))
    return make_error("input '" + name + "' has " + std::to_string(v.size()) + " values, expected " + std::to_string(n));
  for (int64_t x : v)
    if (x < m.act_lo() || x > m.act_hi()) return make_error("input '" + name + "' has a value outside the activation range");
  return {};
}

// The statement of slice j from the bundle: public tensors by value, private ones by
// commitment. The prover passes the executor's run to supply private values too.
Result<SliceStatement> statement(const SealedModel& sealed, size_t j, const Bundle& b,
                                 const model::IntRun* run = nullptr, const BoundaryPolys* polys = nullptr) {
  const auto& man = *sealed.man;
  const auto& s = man.slices[j];
  SliceStatement st;
  st.model = &man.model;
  st.first = s.first, st.end = s.end;
  st.index = static_cast<uint32_t>(j);
  st.slices = static_cast<uint32_t>(man.slices.size());
  st.fingerprint = sealed.fp;
  if (!b.bindings.empty()) st.binding = b.bindings.at(j);
  st.weights = sealed.weights[j] ? &*sealed.weights[j] : nullptr;
  st.inputs = s.inputs, st.outputs = s.outputs;
  for (int side = 0; side < 2; ++side) {
    const auto& ids = side == 0 ? s.inputs : s.outputs;
    auto& values = side == 0 ? st.input_values : st.output_values;
    auto& commits = side == 0 ? st.input_commitments : st.output_commitments;
    for (int t : ids) {
      std::optional<pcs::Commitment> c;
      std::vector<int64_t> v;
      if (auto it = b.tensors.find(t); it != b.tensors.end()) {
        v = it->second;
      } else if (auto ic = b.commitments.find(t); ic != b.commitments.end()) {
        c = ic->second;
        if (run) v = run->values[t];
        if (polys)
          if (auto ip = polys->find(t); ip != polys->end()) st.boundary_polys[t] = ip->second;
      } else {
        return make_error("bundle: slice " + std::to_string(j) + " boundary '" + man.model.tensors[t].name + "' is missing");
      }
      values.push_back(std::move(v));
      commits.push_back(c);
    }
  }
  return st;
}

}  // namespace

util::Bytes Bundle::write() const {
  util::ByteWriter w;
  w.u32(kMagic);
  w.u32(kBundleVersion);
  w.raw(manifest_hash);
  w.raw(params_id);
  w.u32(static_cast<uint32_t>(tensors.size()));
  for (const auto& [id, v] : tensors) {
    w.u32(static_cast<uint32_t>(id));
    w.u64(v.size());
    for (int64_t x : v) w.svarint(x);
  }
  w.u32(static_cast<uint32_t>(commitments.size()));
  for (const auto& [id, c] : commitments) {
    w.u32(static_cast<uint32_t>(id));
    c.write(w);
  }
  w.u32(static_cast<uint32_t>(proofs.size()));
  for (size_t j = 0; j < proofs.size(); ++j) {
    const ProofBinding bind = j < bindings.size() ? bindings[j] : ProofBinding{};
    w.raw(bind.job_id);
    w.raw(bind.prover);
    w.u64(proofs[j].size());
    w.raw(proofs[j]);
  }
  return w.take();
}

Result<Bundle> Bundle::read(std::span<const uint8_t> bytes) {
  util::ByteReader r(bytes);
  uint32_t magic, version, nt, np;
  if (!r.u32(magic) || magic != kMagic) return make_error("bundle: not a zkslice bundle");
  if (!r.u32(version)) return make_error("bundle: truncated header");
  if (version != kBundleVersion) return make_error("bundle: unknown version " + std::to_string(version));
  Bundle b;
  if (!r.raw(b.manifest_hash) || !r.raw(b.params_id) || !r.u32(nt)) return make_error("bundle: truncated header");
  if (nt > kMaxCount) return make_error("bundle: too many tensors");
  for (uint32_t i = 0; i < nt; ++i) {
    uint32_t id;
    uint64_t n;
    if (!r.u32(id) || !r.u64(n)) return make_error("bundle: tensor header truncated");
    if (n > kMaxTensorValues || r.remaining() < n) return make_error("bundle: tensor " + std::to_string(id) + " truncated or too large");
    if (b.tensors.count(int(id))) return make_error("bundle: tensor " + std::to_string(id) + " appears twice");
    auto& v = b.tensors[int(id)];
    v.resize(n);
    for (auto& x : v)
      if (!r.svarint(x)) return make_error("bundle: tensor " + std::to_string(id) + " has a truncated or malformed value");
  }
  uint32_t nc;
  if (!r.u32(nc) || nc > kMaxCount) return make_error("bundle: commitment count truncated or too large");
  const pcs::Params params = pcs::Params::standard();
  for (uint32_t i = 0; i < nc; ++i) {
    uint32_t id;
    if (!r.u32(id)) return make_error("bundle: commitment truncated");
    auto c = pcs::Commitment::read(r, params);
    if (!c.ok()) return make_error("bundle: " + c.error());
    if (b.commitments.count(int(id)) || b.tensors.count(int(id)))
      return make_error("bundle: tensor " + std::to_string(id) + " appears twice");
    b.commitments[int(id)] = *c;
  }
  if (!r.u32(np) || np > kMaxCount) return make_error("bundle: slice count truncated or too large");
  for (uint32_t j = 0; j < np; ++j) {
    ProofBinding bind;
    uint64_t len;
    if (!r.raw(bind.job_id) || !r.raw(bind.prover) || !r.u64(len) || len > r.remaining())
      return make_error("bundle: proof " + std::to_string(j) + " truncated");
    util::Bytes p(len);
    r.raw(p);
    b.proofs.push_back(std::move(p));
    b.bindings.push_back(bind);
  }
  if (!r.at_end()) return make_error("bundle: trailing bytes");
  return b;
}

Result<SealedModel> seal_check(const slicer::Manifest& man, const hash::Digest& manifest_hash, const pcs::Params& params) {
  SealedModel s;
  s.man = &man;
  s.manifest_hash = manifest_hash;
  s.weights.resize(man.slices.size());
  // Sealing refuses these; a manifest from elsewhere gets the reason here rather than a
  // soundness floor no slice can reach.
  if (man.slices.empty() || man.slices.size() > kMaxBundleSlices)
    return make_error("the manifest has " + std::to_string(man.slices.size()) + " slices; a bundle keeps 100 bits of soundness with 1 to " +
                      std::to_string(kMaxBundleSlices));
  if (man.verify_only() && !std::equal(man.published_from.begin(), man.published_from.end(), manifest_hash.begin()))
    return make_error("a verify-only manifest stands for the model it was published from, " + util::to_hex(man.published_from));
  if (man.fingerprint.empty()) return s;  // unsealed: weights committed from the model
  auto fp = check_sealed(man, params);
  if (!fp.ok()) return make_error(fp.error());
  s.fp = *fp;
  for (size_t j = 0; j < man.slices.size(); ++j) {
    auto c = slice_weight_commitment(man.slices[j], params);
    if (!c.ok()) return make_error("slice " + std::to_string(j) + ": " + c.error());
    s.weights[j] = *c;
  }
  return s;
}

Result<Bundle> bundle_forward(const SealedModel& sm, const std::vector<std::vector<int64_t>>& inputs,
                              const pcs::Params& params, model::IntRun& run) {
  const auto& m = sm.man->model;
  if (sm.man->verify_only()) return make_error(kVerifyOnly);
  if (inputs.size() != m.inputs.size()) return make_error("bundle: the model has " + std::to_string(m.inputs.size()) + " inputs");
  run.values.assign(m.tensors.size(), {});
  for (size_t i = 0; i < inputs.size(); ++i) {
    ZK_TRY(check_boundary_values(m, m.inputs[i], inputs[i]));
    run.values[m.inputs[i]] = inputs[i];
  }
  ZK_TRY(model::run_int_range(m, 0, m.nodes.size(), run));
  Bundle b;
  b.manifest_hash = sm.manifest_hash;
  b.params_id = params.params_id();
  for (int t : m.inputs) b.tensors[t] = run.values[t];
  for (int t : m.outputs) b.tensors[t] = run.values[t];
  b.proofs.assign(sm.man->slices.size(), {});
  return b;
}

Status add_boundaries(const SealedModel& sm, const model::IntRun& run, const pcs::Params& params, bool commit, Bundle& b,
                      BoundaryPolys* polys) {
  const auto& m = sm.man->model;
  for (const auto& s : sm.man->slices)
    for (const auto* ids : {&s.inputs, &s.outputs})
      for (int t : *ids) {
        if (b.tensors.count(t) || b.commitments.count(t)) continue;
        if (!commit) {
          b.tensors[t] = run.values[t];
          continue;
        }
        auto c = commit_boundary(m, t, run.values[t], params);
        if (!c.ok()) return make_error("bundle: " + c.error());
        b.commitments[t] = (*c)->commitment();
        if (polys) (*polys)[t] = std::move(c).value();
      }
  return {};
}

Status verify_slice_proof(const SealedModel& sm, size_t j, const Bundle& b, std::span<const uint8_t> proof,
                          const ProofBinding& binding, const pcs::Params& params, transcript::SoundnessLedger* soundness) {
  if (j >= sm.man->slices.size()) return make_error("slice " + std::to_string(j) + " does not exist");
  auto st = statement(sm, j, b);
  if (!st.ok()) return make_error(st.error());
  st->binding = binding;
  return verify_slice(*st, proof, params, soundness);
}

Result<Bundle> prove_bundle(const slicer::Manifest& man, const hash::Digest& manifest_hash,
                            const std::vector<std::vector<int64_t>>& inputs, const pcs::Params& params,
                            size_t jobs, std::vector<SliceTiming>* timings,
                            const std::function<void(size_t, const SliceTiming&)>& progress,
                            bool private_boundaries, const ProofBinding& binding) {
  auto sealed = seal_check(man, manifest_hash, params);
  if (!sealed.ok()) return make_error(sealed.error());
  model::IntRun run;
  auto built = bundle_forward(*sealed, inputs, params, run);
  if (!built.ok()) return make_error(built.error());
  Bundle b = std::move(built).value();
  // Each boundary committed once, for its maker's and its readers' proofs, and dropped
  // after the last of them.
  BoundaryPolys polys;
  ZK_TRY(add_boundaries(*sealed, run, params, private_boundaries, b, &polys));
  std::map<int, size_t> uses;
  for (const auto& s : man.slices) {
    std::set<int> ids(s.inputs.begin(), s.inputs.end());
    ids.insert(s.outputs.begin(), s.outputs.end());
    for (int t : ids) ++uses[t];
  }
  std::mutex polys_mu;
  const size_t n = man.slices.size();
  b.bindings.assign(n, binding);
  std::vector<SliceTiming> times(n);
  std::vector<std::string> errors(n);
  std::atomic<size_t> next{0};
  std::mutex progress_mu;
  auto worker = [&] {
    for (size_t j; (j = next.fetch_add(1)) < n;) {
      auto t0 = std::chrono::steady_clock::now();
      auto st = [&] {
        std::lock_guard<std::mutex> lock(polys_mu);
        return statement(*sealed, j, b, &run, &polys);
      }();
      if (!st.ok()) {
        errors[j] = st.error();
        continue;
      }
      auto proof = prove_slice(*st, params);
      {
        std::lock_guard<std::mutex> lock(polys_mu);
        for (const auto& [t, poly] : st->boundary_polys)
          if (--uses[t] == 0) polys.erase(t);
      }
      if (!proof.ok()) {
        errors[j] = "slice " + std::to_string(j) + ": " + proof.error();
        continue;
      }
      times[j] = {ms_since(t0), proof->size(), {}};
      b.proofs[j] = std::move(proof).value();
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mu);
        progress(j, times[j]);
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < std::max<size_t>(1, std::min(jobs, n)); ++i) threads.emplace_back(worker);
  worker();
  for (auto& th : threads) th.join();
  for (const auto& e : errors)
    if (!e.empty()) return make_error(e);
  if (timings) *timings = times;
  return b;
}

Result<SliceJob> prove_slice_job(const SealedModel& sm, size_t j, const std::vector<std::vector<int64_t>>& inputs,
                                 const pcs::Params& params, const ProofBinding& binding) {
  const auto& man = *sm.man;
  const auto& m = man.model;
  if (man.verify_only()) return make_error(kVerifyOnly);
  if (j >= man.slices.size())
    return make_error("slice " + std::to_string(j) + " does not exist (the model has " + std::to_string(man.slices.size()) + ")");
  const auto& s = man.slices[j];
  if (inputs.size() != s.inputs.size())
    return make_error("slice " + std::to_string(j) + " has " + std::to_string(s.inputs.size()) + " inputs, got " +
                      std::to_string(inputs.size()));
  model::IntRun run;
  run.values.resize(m.tensors.size());
  Bundle b;
  SliceJob job;
  BoundaryPolys polys;  // committed here once, opened by the proof
  auto commit = [&](int t, const std::vector<int64_t>& v, std::map<int, pcs::Commitment>& out) -> Status {
    auto c = commit_boundary(m, t, v, params);
    if (!c.ok()) return make_error(c.error());
    b.commitments[t] = out[t] = (*c)->commitment();
    polys[t] = std::move(c).value();
    return {};
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    const int t = s.inputs[i];
    ZK_TRY(check_boundary_values(m, t, inputs[i]));
    run.values[t] = inputs[i];
    if (is_model_io(m, t)) {
      b.tensors[t] = inputs[i];
    } else {
      ZK_TRY(commit(t, inputs[i], job.input_commitments));
    }
  }
  ZK_TRY(model::run_int_range(m, s.first, s.end, run));
  for (int t : s.outputs) {
    if (b.tensors.count(t) || b.commitments.count(t)) continue;  // passed through
    if (is_model_io(m, t)) {
      b.tensors[t] = run.values[t];
      job.public_outputs[t] = run.values[t];
    } else {
      ZK_TRY(commit(t, run.values[t], job.output_commitments));
    }
  }
  b.bindings.assign(man.slices.size(), binding);
  auto st = statement(sm, j, b, &run, &polys);
  if (!st.ok()) return make_error(st.error());
  auto proof = prove_slice(*st, params);
  if (!proof.ok()) return make_error("slice " + std::to_string(j) + ": " + proof.error());
  job.proof = std::move(proof).value();
  return job;
}

double bundle_soundness_bits(const std::vector<SliceTiming>& verified) {
  transcript::SoundnessLedger all;
  for (const auto& t : verified) all.merge(t.soundness);
  return all.bits();
}

Status check_bundle_soundness(const std::vector<SliceTiming>& verified, std::string_view advice) {
  const double bits = bundle_soundness_bits(verified);
  if (bits >= pcs::kMinSecurityBits) return {};
  std::string each;
  for (size_t j = 0; j < verified.size(); ++j)
    each += (j ? ", " : "") + fmt::format("{:.1f}", verified[j].soundness.bits());
  return make_error(fmt::format("the bundle's soundness is {:.2f} bits, below {:.0f} (its slices' errors summed; slices: {} "
                                "bits): the model has too many large slices, {}",
                                bits, pcs::kMinSecurityBits, each, advice));
}

Status check_bundle_input(const slicer::Manifest& man, const Bundle& b, const std::vector<std::vector<int64_t>>& inputs) {
  const auto& m = man.model;
  if (inputs.size() != m.inputs.size())
    return make_error(std::to_string(inputs.size()) + " inputs given for a model of " + std::to_string(m.inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto it = b.tensors.find(m.inputs[i]);
    if (it == b.tensors.end() || it->second != inputs[i])
      return make_error("the bundle proves the model on another input ('" + m.tensors[m.inputs[i]].name + "' differs)");
  }
  return {};
}

Status verify_bundle(const slicer::Manifest& man, const hash::Digest& manifest_hash, const Bundle& b,
                     const pcs::Params& params, std::vector<SliceTiming>* timings, const hash::Digest* pinned_fp) {
  auto sealed = seal_check(man, manifest_hash, params);
  if (!sealed.ok()) return make_error(sealed.error());
  if (pinned_fp) {
    if (man.fingerprint.empty()) return make_error("the manifest is not sealed, so it has no fingerprint to pin");
    if (sealed->fp != *pinned_fp) return make_error("the manifest's fingerprint is not the pinned one (another model)");
  }
  if (b.manifest_hash != manifest_hash) return make_error("bundle: made for another compiled model (manifest hash differs)");
  if (b.params_id != params.params_id()) return make_error("bundle: made with other commitment parameters");
  if (b.proofs.size() != man.slices.size())
    return make_error("bundle: " + std::to_string(b.proofs.size()) + " slice proofs for " + std::to_string(man.slices.size()) + " slices");
  if (!b.bindings.empty() && b.bindings.size() != b.proofs.size())
    return make_error("bundle: " + std::to_string(b.bindings.size()) + " proof bindings for " + std::to_string(b.proofs.size()) + " proofs");
  for (const auto& [id, v] : b.tensors)
    if (id < 0 || size_t(id) >= man.model.tensors.size()) return make_error("bundle: unknown tensor id " + std::to_string(id));
  for (const auto& [id, c] : b.commitments) {
    if (id < 0 || size_t(id) >= man.model.tensors.size()) return make_error("bundle: unknown tensor id " + std::to_string(id));
    if (is_model_io(man.model, id)) return make_error("bundle: the model's input and output must be public");
  }
  for (int t : man.model.inputs)
    if (!b.tensors.count(t)) return make_error("bundle: the model input '" + man.model.tensors[t].name + "' is missing");
  for (int t : man.model.outputs)
    if (!b.tensors.count(t)) return make_error("bundle: the model output '" + man.model.tensors[t].name + "' is missing");
  std::vector<SliceTiming> times(man.slices.size());
  for (size_t j = 0; j < man.slices.size(); ++j) {
    auto t0 = std::chrono::steady_clock::now();
    auto st = statement(*sealed, j, b);
    if (!st.ok()) return make_error(st.error());
    transcript::SoundnessLedger soundness;
    Status s = verify_slice(*st, b.proofs[j], params, &soundness);
    if (!s.ok()) return make_error("slice " + std::to_string(j) + ": " + s.error());
    times[j] = {ms_since(t0), b.proofs[j].size(), soundness};
  }
  ZK_TRY(check_bundle_soundness(times));
  if (timings) *timings = times;
  return {};
}

}  // namespace zks::circuits
