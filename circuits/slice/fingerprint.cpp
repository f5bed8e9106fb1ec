#include "circuits/slice/fingerprint.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <string>

#include "circuits/slice/slice_plan.hpp"
#include "circuits/slice/slice_proof.hpp"
#include "util/log.hpp"

namespace zks::circuits {

namespace {
// A slice's statement without values: what planning it needs.
SliceStatement shape_of(const slicer::Manifest& man, const slicer::Slice& s) {
  SliceStatement st;
  st.model = &man.model;
  st.first = s.first, st.end = s.end;
  st.inputs = s.inputs, st.outputs = s.outputs;
  st.input_values.resize(s.inputs.size());
  st.output_values.resize(s.outputs.size());
  return st;
}
}  // namespace

namespace {
// The constants that sealed slices' proofs read only through their R_W: every weight
// column of their plans (Conv, ConvTranspose, Gemm and MatMul weights and biases) that
// no plan also reads in the clear (Mul, Add and Div operands are). A slice without R_W,
// or one that does not plan (a constant it reads in the clear withheld), keeps its
// constants, so such a withheld one is refused by name below.
std::set<int> committed_weights(const slicer::Manifest& man) {
  std::set<int> committed, clear;
  for (const auto& s : man.slices) {
    if (s.weight_commitment.empty()) continue;
    auto p = slice_detail::make_plan(shape_of(man, s));
    if (!p.ok()) continue;
    for (const auto& c : p->columns)
      if (c.weight_tensor >= 0) committed.insert(c.weight_tensor);
    for (const auto& [t, kind] : p->kind)
      if (kind == slice_detail::TensorKind::PublicConst) clear.insert(t);
    for (const auto& [t, table] : p->const_tables) clear.insert(t);
  }
  for (int t : clear) committed.erase(t);
  return committed;
}

hash::Digest withheld_digest(const model::QModel& m, const std::set<int>& ids) {
  static constexpr char kTag[] = "zkslice-withheld-v1";
  hash::Hasher h(hash::Domain::Commitment);
  h.update({reinterpret_cast<const uint8_t*>(kTag), sizeof kTag - 1});
  for (int t : ids) {
    h.update_u64(uint64_t(t));
    h.update_u64(m.tensors[size_t(t)].data.size());
    for (int64_t v : m.tensors[size_t(t)].data) h.update_u64(uint64_t(v));
  }
  return h.finalize();
}

// The verify-only form: every committed weight withheld, with what the range analysis
// needs of it and the digest of all of them; fingerprint and source hash empty. A
// verify-only manifest must already be in this form (the same tensors withheld).
Result<slicer::Manifest> verify_only_form(const slicer::Manifest& man) {
  const auto ids = committed_weights(man);
  slicer::Manifest v = man;
  v.fingerprint.clear();
  v.published_from.clear();
  auto& m = v.model;
  for (size_t t = 0; t < m.tensors.size(); ++t) {
    if (m.tensors[t].withheld && !ids.count(int(t)))
      return make_error("manifest: '" + m.tensors[t].name + "' is withheld but is not a committed weight of a sealed slice");
    if (man.verify_only() && !m.tensors[t].withheld && ids.count(int(t)))
      return make_error("manifest: the committed weight '" + m.tensors[t].name + "' of a verify-only manifest is not withheld");
  }
  if (man.verify_only()) return v;
  std::vector<const model::QNode*> reader(m.tensors.size(), nullptr);
  for (const auto& n : m.nodes)
    if (n.inputs.size() > 1 && (n.op == "Conv" || n.op == "ConvTranspose" || n.op == "Gemm")) reader[size_t(n.inputs[1])] = &n;
  const auto digest = withheld_digest(m, ids);
  v.withheld_digest.assign(digest.begin(), digest.end());
  for (int id : ids) {
    auto& t = m.tensors[size_t(id)];
    t.abs_max = 0;
    for (int64_t x : t.data) t.abs_max = std::max(t.abs_max, x == INT64_MIN ? INT64_MAX : (x < 0 ? -x : x));
    t.l1_max = reader[size_t(id)] ? model::weight_l1_max(*reader[size_t(id)], t) : 0.0;
    t.data.clear();
    t.withheld = true;
  }
  return v;
}

// FP of a manifest already in its verify-only form.
hash::Digest hash_form(const slicer::Manifest& form) {
  static constexpr char kTag[] = "zkslice-fp-v2";
  return hash::Hasher(hash::Domain::Commitment)
      .update({reinterpret_cast<const uint8_t*>(kTag), sizeof kTag - 1})
      .update(slicer::serialize_manifest(form))
      .finalize();
}

// That `man` is sealed for `params` and its stored FP is the hash of `form`, its
// verify-only form; returns FP.
Result<hash::Digest> check_seal(const slicer::Manifest& man, const slicer::Manifest& form, const pcs::Params& params) {
  if (man.fingerprint.size() != 32) return make_error("manifest is not sealed (no fingerprint): recompile it");
  auto pid = params.params_id();
  if (man.params_id.size() != 32 || std::memcmp(man.params_id.data(), pid.data(), 32) != 0)
    return make_error("manifest was sealed for other proof parameters");
  const auto fp = hash_form(form);
  if (std::memcmp(man.fingerprint.data(), fp.data(), 32) != 0)
    return make_error("manifest fingerprint does not match its contents (the manifest was changed)");
  return fp;
}
}  // namespace

Result<hash::Digest> fingerprint_of(const slicer::Manifest& man) {
  auto view = verify_only_form(man);
  if (!view.ok()) return make_error(view.error());
  return hash_form(*view);
}

Result<slicer::Manifest> publish_manifest(const slicer::Manifest& man, const hash::Digest& manifest_hash,
                                          const pcs::Params& params) {
  if (man.verify_only()) return make_error("the manifest is already verify-only");
  auto v = verify_only_form(man);
  if (!v.ok()) return make_error(v.error());
  ZK_TRY(check_seal(man, *v, params));  // on the form just made: it is FP's input
  v->fingerprint = man.fingerprint;
  v->published_from.assign(manifest_hash.begin(), manifest_hash.end());
  return v;
}

Status check_partition_soundness(const slicer::Manifest& man, const pcs::Params& params) {
  // The slices' errors add up (rule 8): refuse a partition whose proofs, at their
  // largest, could not reach 100 bits together. A slice not provable yet is left out
  // (sealing notes it).
  double expected = 0, worst_error = 0;
  size_t worst = 0;
  for (size_t j = 0; j < man.slices.size(); ++j) {
    auto e = expected_error(shape_of(man, man.slices[j]), params);
    if (!e.ok()) continue;
    ZKS_LOG_DEBUG("slice", "slice {}: expected soundness {:.2f} bits", j, -std::log2(*e));
    expected += *e;
    if (*e > worst_error) worst_error = *e, worst = j;
  }
  if (expected <= std::exp2(-pcs::kMinSecurityBits)) return {};
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%zu slices: their proofs would reach about %.2f bits of soundness together, below %.0f (slice %zu "
                "alone %.2f bits: large commitments cost more); ask for fewer slices or a larger budget",
                man.slices.size(), -std::log2(expected), pcs::kMinSecurityBits, worst, -std::log2(worst_error));
  return make_error(buf);
}

Status seal_manifest(slicer::Manifest& man, const pcs::Params& params, std::vector<std::string>* unprovable) {
  if (man.verify_only()) return make_error("a verify-only manifest cannot be sealed again");
  if (man.slices.size() > kMaxBundleSlices)
    return make_error(std::to_string(man.slices.size()) + " slices: a bundle keeps 100 bits of soundness with at most " +
                      std::to_string(kMaxBundleSlices) + " (the slices' errors add up); "
                      "ask for fewer slices or a larger budget");
  ZK_TRY(check_partition_soundness(man, params));
  for (size_t j = 0; j < man.slices.size(); ++j) {
    auto& s = man.slices[j];
    auto c = weight_commitment(shape_of(man, s), params);
    s.weight_commitment.clear();
    if (!c.ok()) {
      // Not provable yet: no R_W (a verifier would commit its weights from the model),
      // but the slice is still covered by FP like everything else in the manifest.
      if (unprovable) unprovable->push_back("slice " + std::to_string(j) + ": " + c.error());
      continue;
    }
    if (*c) s.weight_commitment = write_weight_commitment(**c);
  }
  auto pid = params.params_id();
  man.params_id.assign(pid.begin(), pid.end());
  auto fp = fingerprint_of(man);
  if (!fp.ok()) return make_error(fp.error());
  man.fingerprint.assign(fp->begin(), fp->end());
  return {};
}

Result<hash::Digest> check_sealed(const slicer::Manifest& man, const pcs::Params& params) {
  auto form = verify_only_form(man);
  if (!form.ok()) return make_error(form.error());
  return check_seal(man, *form, params);
}

Result<std::optional<WeightCommitment>> slice_weight_commitment(const slicer::Slice& s, const pcs::Params& params) {
  if (s.weight_commitment.empty()) return std::optional<WeightCommitment>{};
  auto c = read_weight_commitment(s.weight_commitment, params);
  if (!c.ok()) return make_error("manifest: " + c.error());
  return std::optional<WeightCommitment>(std::move(*c));
}

Result<std::vector<std::optional<WeightExposure>>> weight_exposure(const slicer::Manifest& man,
                                                                   const pcs::Params& params) {
  std::vector<std::optional<WeightExposure>> out;
  for (const auto& s : man.slices) {
    auto c = slice_weight_commitment(s, params);
    if (!c.ok()) return make_error(c.error());
    if (!*c) {
      out.emplace_back();
      continue;
    }
    WeightExposure e{std::numeric_limits<double>::infinity(), 0};
    for (const auto& member : **c) {
      const double n = pcs::openings_to_reveal(member, params);
      e.first = std::min(e.first, n);
      e.all = std::max(e.all, n);
    }
    out.emplace_back(e);
  }
  return out;
}

}  // namespace zks::circuits
