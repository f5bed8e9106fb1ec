#include "circuits/gadgets/linear.hpp"

#include <string>

#include "field/field.hpp"
#include "poly/mle.hpp"
#include "util/assert.hpp"

namespace zks::circuits {

namespace {
void absorb_shape(transcript::Transcript& t, const LinearShape& s) {
  util::ByteWriter w;
  w.u32(s.num_vars);
  w.u32(static_cast<uint32_t>(s.coeffs.size()));
  for (int64_t c : s.coeffs) w.u64(static_cast<uint64_t>(c));
  t.absorb_bytes("linear.shape", w.bytes());
}
}  // namespace

Status LinearShape::check() const {
  if (coeffs.empty() || coeffs.size() > 64) return make_error("linear: 1..64 inputs expected");
  for (int64_t c : coeffs)
    if (c <= -(int64_t(1) << 62) || c >= (int64_t(1) << 62))
      return make_error("linear: coefficient " + std::to_string(c) + " out of range");
  if (num_vars > 30) return make_error("linear: tensor larger than 2^30");
  return {};
}

std::vector<Fp> linear_combination(const LinearShape& s, const std::vector<std::span<const Fp>>& xs) {
  ZK_ASSERT(s.check().ok() && xs.size() == s.coeffs.size());
  std::vector<Fp> y(size_t(1) << s.num_vars, Fp::zero());
  for (size_t i = 0; i < xs.size(); ++i) {
    ZK_ASSERT(xs[i].size() == y.size());
    Fp c = Fp::from_i64(s.coeffs[i]);
    for (size_t x = 0; x < y.size(); ++x) y[x] += c * xs[i][x];
  }
  return y;
}

LinearProof prove_linear(const LinearShape& s, const std::vector<std::span<const Fp>>& xs,
                         const EvalClaim& y_claim, transcript::Transcript& t) {
  ZK_ASSERT(s.check().ok() && xs.size() == s.coeffs.size() && y_claim.point.size() == s.num_vars);
  absorb_shape(t, s);
  LinearProof p;
  for (const auto& x : xs) p.input_evals.push_back(poly::evaluate(x, y_claim.point));
  t.absorb("linear.input_evals", std::span<const Fp2>(p.input_evals));
  return p;
}

Result<std::vector<EvalClaim>> verify_linear(const LinearShape& s, const EvalClaim& y_claim,
                                             const LinearProof& proof, transcript::Transcript& t) {
  ZK_TRY(s.check());
  if (y_claim.point.size() != s.num_vars) return make_error("linear: claim point has the wrong size");
  if (proof.input_evals.size() != s.coeffs.size()) return make_error("linear: wrong number of input evaluations");
  absorb_shape(t, s);
  Fp2 sum = Fp2::zero();
  for (size_t i = 0; i < s.coeffs.size(); ++i) sum += proof.input_evals[i] * Fp::from_i64(s.coeffs[i]);
  if (sum != y_claim.value) return make_error("linear: the inputs' claims do not add up to the output's");
  t.absorb("linear.input_evals", std::span<const Fp2>(proof.input_evals));
  std::vector<EvalClaim> claims;
  for (const auto& e : proof.input_evals) claims.push_back({y_claim.point, e});
  return claims;
}

void LinearProof::write(util::ByteWriter& w) const {
  for (const auto& e : input_evals) field::write(w, e);
}

Result<LinearProof> LinearProof::read(util::ByteReader& r, const LinearShape& s) {
  ZK_TRY(s.check());
  LinearProof p;
  p.input_evals.resize(s.coeffs.size());
  for (auto& e : p.input_evals) ZK_TRY(field::read(r, e));
  return p;
}

}  // namespace zks::circuits
