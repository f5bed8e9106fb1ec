#include "circuits/slice/fingerprint.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "circuits/slice/slice_proof.hpp"
#include "util/log.hpp"

namespace zks::circuits {

hash::Digest fingerprint_of(const slicer::Manifest& man) {
  slicer::Manifest copy = man;
  copy.fingerprint.clear();
  auto bytes = slicer::serialize_manifest(copy);
  static constexpr char kTag[] = "zkslice-fp-v1";
  return hash::Hasher(hash::Domain::Commitment)
      .update({reinterpret_cast<const uint8_t*>(kTag), sizeof kTag - 1})
      .update(bytes)
      .finalize();
}

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
  man.fingerprint.assign(fp.begin(), fp.end());
  return {};
}

Result<hash::Digest> check_sealed(const slicer::Manifest& man, const pcs::Params& params) {
  if (man.fingerprint.size() != 32) return make_error("manifest is not sealed (no fingerprint): recompile it");
  auto pid = params.params_id();
  if (man.params_id.size() != 32 || std::memcmp(man.params_id.data(), pid.data(), 32) != 0)
    return make_error("manifest was sealed for other proof parameters");
  auto fp = fingerprint_of(man);
  if (std::memcmp(man.fingerprint.data(), fp.data(), 32) != 0)
    return make_error("manifest fingerprint does not match its contents (the manifest was changed)");
  return fp;
}

Result<std::optional<WeightCommitment>> slice_weight_commitment(const slicer::Slice& s, const pcs::Params& params) {
  if (s.weight_commitment.empty()) return std::optional<WeightCommitment>{};
  auto c = read_weight_commitment(s.weight_commitment, params);
  if (!c.ok()) return make_error("manifest: " + c.error());
  return std::optional<WeightCommitment>(std::move(*c));
}

}  // namespace zks::circuits
