#include "sumcheck/zk.hpp"

#include <string>

#include "field/field.hpp"
#include "transcript/soundness.hpp"
#include "util/assert.hpp"

namespace zks::sumcheck {

namespace {

// F_{p^2}'s generator X (elements are c0 + c1 X).
const Fp2 kX(Fp::zero(), Fp::one());

Fp2 power_of_two(unsigned e) { return Fp2(Fp(uint64_t(1) << e)); }  // e < 64

void absorb_opening(transcript::Transcript& t, const Fp2& claimed_sum, const Fp2& mask_sum) {
  t.absorb("sumcheck.zk.claim", claimed_sum);
  t.absorb("sumcheck.zk.mask_sum", mask_sum);
}

}  // namespace

size_t mask_entries(unsigned num_vars, unsigned degree) { return 2 * (1 + size_t(num_vars) * degree); }

Mask::Mask(std::span<const Fp> entries, unsigned num_vars, unsigned degree) : m_vars(num_vars), m_degree(degree) {
  ZK_ASSERT(num_vars >= 1 && num_vars <= kMaxVars && degree >= 1 && degree <= kMaxDegree);
  ZK_ASSERT(entries.size() == mask_entries(num_vars, degree));
  m_c.resize(entries.size() / 2);
  for (size_t q = 0; q < m_c.size(); ++q) m_c[q] = Fp2(entries[2 * q], entries[2 * q + 1]);
}

Fp2 Mask::g(unsigned i, const Fp2& x) const {
  // Horner on c_iD .. c_i1, times x (no constant term).
  const Fp2* c = m_c.data() + 1 + size_t(i) * m_degree;
  Fp2 acc = Fp2::zero();
  for (unsigned e = m_degree; e >= 1; --e) acc = acc * x + c[e - 1];
  return acc * x;
}

Fp2 Mask::sum() const {
  Fp2 ones = Fp2::zero();
  for (unsigned i = 0; i < m_vars; ++i) ones += g(i, Fp2::one());
  return power_of_two(m_vars) * m_c[0] + power_of_two(m_vars - 1) * ones;
}

Fp2 Mask::value(std::span<const Fp2> r) const {
  ZK_ASSERT(r.size() == m_vars);
  Fp2 v = m_c[0];
  for (unsigned i = 0; i < m_vars; ++i) v += g(i, r[i]);
  return v;
}

std::vector<Fp2> Mask::round(unsigned i, std::span<const Fp2> r) const {
  ZK_ASSERT(i < m_vars && r.size() == i);
  Fp2 before = m_c[0];
  for (unsigned j = 0; j < i; ++j) before += g(j, r[j]);
  Fp2 after = Fp2::zero();
  for (unsigned j = i + 1; j < m_vars; ++j) after += g(j, Fp2::one());
  const Fp2 scale = power_of_two(m_vars - i - 1);
  const Fp2 rest = i + 1 < m_vars ? power_of_two(m_vars - i - 2) * after : Fp2::zero();
  std::vector<Fp2> out(m_degree + 1);
  for (unsigned x = 0; x <= m_degree; ++x) out[x] = scale * (before + g(i, Fp2::from_u64(x))) + rest;
  return out;
}

std::vector<Fp2> mask_weights(unsigned num_vars, unsigned degree, std::span<const Fp2> r) {
  ZK_ASSERT(r.size() == num_vars);
  std::vector<Fp2> w(mask_entries(num_vars, degree));
  auto put = [&](size_t q, const Fp2& v) {
    w[2 * q] = v;
    w[2 * q + 1] = v * kX;
  };
  put(0, Fp2::one());
  for (unsigned i = 0; i < num_vars; ++i) {
    Fp2 p = r[i];
    for (unsigned e = 1; e <= degree; ++e, p *= r[i]) put(1 + size_t(i) * degree + (e - 1), p);
  }
  return w;
}

void ZkProof::write(util::ByteWriter& w) const {
  field::write(w, mask_sum);
  rounds.write(w);
  field::write(w, mask_value);
}

Result<ZkProof> ZkProof::read(util::ByteReader& r, unsigned num_vars, unsigned degree) {
  ZkProof p;
  if (Status st = field::read(r, p.mask_sum); !st) return make_error("zk sumcheck: the mask's sum: " + st.error());
  auto rounds = Proof::read(r, num_vars, degree);
  if (!rounds.ok()) return make_error(rounds.error());
  p.rounds = std::move(*rounds);
  if (Status st = field::read(r, p.mask_value); !st) return make_error("zk sumcheck: the mask's value: " + st.error());
  return p;
}

ZkProverOutput prove_zk(Prover& prover, const Fp2& claimed_sum, const Mask& mask, transcript::Transcript& t) {
  ZK_ASSERT(mask.num_vars() == prover.num_vars() && mask.degree() == prover.degree());
  ZkProverOutput out;
  out.proof.mask_sum = mask.sum();
  absorb_opening(t, claimed_sum, out.proof.mask_sum);
  const Fp2 rho = t.challenge("sumcheck.zk.rho");
  detail::absorb_header(t, prover.num_vars(), prover.degree(), claimed_sum + rho * out.proof.mask_sum);
  Fp2 claim = claimed_sum;  // F's part alone, which the prover's rounds take
  for (unsigned i = 0; i < prover.num_vars(); ++i) {
    const std::vector<Fp2> s = prover.round(claim);
    const std::vector<Fp2> m = mask.round(i, out.point);
    std::vector<Fp2> masked(s.size());
    for (size_t x = 0; x < s.size(); ++x) masked[x] = s[x] + rho * m[x];
    auto sent = detail::compress_round(masked);
    t.absorb("sumcheck.round", std::span<const Fp2>(sent));
    const Fp2 r = t.challenge("sumcheck.r");
    claim = interpolate(s, r);
    prover.bind(r);
    out.point.push_back(r);
    out.proof.rounds.rounds.push_back(std::move(sent));
  }
  out.factor_evals = prover.factor_evals();
  out.proof.mask_value = mask.value(out.point);
  t.absorb("sumcheck.zk.mask_value", out.proof.mask_value);
  return out;
}

Result<SubClaim> verify_zk(const Fp2& claimed_sum, unsigned num_vars, unsigned degree, const ZkProof& proof,
                           transcript::Transcript& t) {
  if (num_vars < 1) return make_error("zk sumcheck: a sumcheck of no variables has nothing to mask");
  absorb_opening(t, claimed_sum, proof.mask_sum);
  const Fp2 rho = t.challenge("sumcheck.zk.rho");
  transcript::charge_powers(t, 2);  // H + rho G: a false H passes for one rho
  auto sub = verify(claimed_sum + rho * proof.mask_sum, num_vars, degree, proof.rounds, t);
  if (!sub.ok()) return make_error(sub.error());
  t.absorb("sumcheck.zk.mask_value", proof.mask_value);
  sub->expected -= rho * proof.mask_value;
  return sub;
}

}  // namespace zks::sumcheck
