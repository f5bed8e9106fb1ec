#include "circuits/gadgets/hadamard.hpp"

#include "field/field.hpp"
#include "util/assert.hpp"

namespace zks::circuits {

std::vector<Fp> hadamard(std::span<const Fp> a, std::span<const Fp> b) {
  ZK_ASSERT(a.size() == b.size());
  std::vector<Fp> z(a.size());
  for (size_t i = 0; i < z.size(); ++i) z[i] = a[i] * b[i];
  return z;
}

namespace {
template <typename A>
HadamardProof prove_impl(std::span<const A> a, std::span<const Fp> b, const EvalClaim& z_claim,
                         transcript::Transcript& t, HadamardClaims* claims) {
  ZK_ASSERT(a.size() == b.size() && a.size() == (size_t(1) << z_claim.point.size()));
  t.absorb_u64("hadamard.vars", z_claim.point.size());
  sumcheck::Instance inst;
  inst.factors = {a, b};
  inst.eq_point = z_claim.point;
  auto sc = sumcheck::prove(inst, z_claim.value, t);
  HadamardProof p{std::move(sc.proof), sc.factor_evals[0], sc.factor_evals[1]};
  Fp2 e[2] = {p.a_eval, p.b_eval};
  t.absorb("hadamard.evals", std::span<const Fp2>(e, 2));
  if (claims) *claims = {{sc.point, p.a_eval}, {sc.point, p.b_eval}};
  return p;
}
}  // namespace

HadamardProof prove_hadamard(std::span<const Fp> a, std::span<const Fp> b, const EvalClaim& z_claim,
                             transcript::Transcript& t, HadamardClaims* claims) {
  return prove_impl(a, b, z_claim, t, claims);
}

HadamardProof prove_hadamard(std::span<const Fp2> a, std::span<const Fp> b, const EvalClaim& z_claim,
                             transcript::Transcript& t, HadamardClaims* claims) {
  return prove_impl(a, b, z_claim, t, claims);
}

Result<HadamardClaims> verify_hadamard(unsigned num_vars, const EvalClaim& z_claim, const HadamardProof& proof,
                                       transcript::Transcript& t) {
  if (z_claim.point.size() != num_vars) return make_error("hadamard: claim point has the wrong size");
  t.absorb_u64("hadamard.vars", num_vars);
  auto sub = sumcheck::verify(z_claim.value, num_vars, num_vars > 0 ? 3 : 2, proof.sumcheck, t);
  if (!sub.ok()) return make_error("hadamard: " + sub.error());
  Fp2 e[2] = {proof.a_eval, proof.b_eval};
  if (auto s = sumcheck::check_final(*sub, e, z_claim.point); !s.ok()) return make_error("hadamard: " + s.error());
  t.absorb("hadamard.evals", std::span<const Fp2>(e, 2));
  return HadamardClaims{{sub->point, proof.a_eval}, {sub->point, proof.b_eval}};
}

void HadamardProof::write(util::ByteWriter& w) const {
  sumcheck.write(w);
  field::write(w, a_eval);
  field::write(w, b_eval);
}

Result<HadamardProof> HadamardProof::read(util::ByteReader& r, unsigned num_vars) {
  auto sc = sumcheck::Proof::read(r, num_vars, num_vars > 0 ? 3 : 2);
  if (!sc.ok()) return make_error("hadamard proof: " + sc.error());
  HadamardProof p;
  p.sumcheck = std::move(sc).value();
  ZK_TRY(field::read(r, p.a_eval));
  ZK_TRY(field::read(r, p.b_eval));
  return p;
}

}  // namespace zks::circuits
