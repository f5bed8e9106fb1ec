#include "circuits/gadgets/divide.hpp"

#include <string>

#include "field/field.hpp"
#include "poly/mle.hpp"
#include "transcript/soundness.hpp"
#include "util/assert.hpp"

namespace zks::circuits {

namespace {

constexpr unsigned kLimb = 16;
// Factors: a, b, sel, q, r limbs, u limbs.
constexpr unsigned kA = 0, kB = 1, kSel = 2, kQ = 3, kR0 = 4;

Fp2 pow2(unsigned k) { return Fp2(Fp(2).pow(k)); }

std::vector<sumcheck::Term> constraint_terms(const DivideShape& s, const Fp2& gamma, size_t* constraints = nullptr) {
  const unsigned n = s.rem_limbs(), u0 = kR0 + n;
  sumcheck::ConstraintTerms ct(gamma);
  auto add = [&](const Fp2& coeff, std::vector<unsigned> f) { ct.add(coeff, std::move(f)); };
  auto next = [&] { ct.next(); };
  // C0: sel (2^(ka+1) a + 2^kb b - 2^(kb+1) b q - r)
  add(pow2(s.ka + 1), {kSel, kA});
  add(pow2(s.kb), {kSel, kB});
  add(-pow2(s.kb + 1), {kSel, kB, kQ});
  for (unsigned i = 0; i < n; ++i) add(-pow2(kLimb * i), {kSel, kR0 + i});
  next();
  // C1: sel (2^(kb+1) b - 1 - r - u)
  add(pow2(s.kb + 1), {kSel, kB});
  add(-Fp2::one(), {kSel});
  for (unsigned i = 0; i < n; ++i) add(-pow2(kLimb * i), {kSel, kR0 + i}), add(-pow2(kLimb * i), {kSel, u0 + i});
  next();
  // C2: (1 - sel) q
  add(Fp2::one(), {kQ});
  add(-Fp2::one(), {kSel, kQ});
  if (constraints) *constraints = ct.constraints();
  return ct.take();
}

void absorb_shape(transcript::Transcript& t, const DivideShape& s) {
  util::ByteWriter w;
  w.u32(static_cast<uint32_t>(s.shape.dims().size()));
  for (uint32_t d : s.shape.dims()) w.u32(d);
  w.u32(s.ka);
  w.u32(s.kb);
  w.u64(static_cast<uint64_t>(s.lo));
  w.u64(static_cast<uint64_t>(s.hi));
  w.u32(s.b_bits);
  t.absorb_bytes("divide.shape", w.bytes());
}

}  // namespace

Status DivideShape::check() const {
  if (num_vars() > 28) return make_error("divide: tensor larger than 2^28");
  if (shape.dims().size() > 8) return make_error("divide: more than 8 axes");
  if (ka > 40 || kb > 40) return make_error("divide: operand shifts beyond 40 bits");
  if (b_bits < 1 || b_bits + kb > 44 || ka + 17 > 60) return make_error("divide: operands beyond the field headroom");
  if (hi < lo || hi - lo + 1 > (int64_t(1) << kLimb) || ((hi - lo + 1) & (hi - lo)) != 0)
    return make_error("divide: output range is not 2^B values with B <= 16");
  return {};
}

Result<DivideWitness> divide_witness(const DivideShape& s, std::span<const int64_t> a, std::span<const int64_t> b) {
  ZK_TRY(s.check());
  const size_t n = s.shape.padded_size();
  if (a.size() != n || b.size() != n) return make_error("divide: operand tables have the wrong size");
  const unsigned limbs = s.rem_limbs();
  DivideWitness w;
  w.columns.assign(s.num_columns(), std::vector<Fp>(n, Fp::zero()));
  const auto real = s.shape.real_mask();
  for (size_t x = 0; x < n; ++x) {
    if (!real[x]) continue;
    if (b[x] >= (int64_t(1) << s.b_bits))
      return make_error("divide: entry " + std::to_string(x) + " divides by " + std::to_string(b[x]) + ", beyond its bound");
    if (b[x] <= 0)
      return make_error("divide: entry " + std::to_string(x) + " divides by " + std::to_string(b[x]) +
                        " (a division by a value <= 0 is not provable yet)");
    const __int128 A = __int128(a[x]) << s.ka, D = __int128(b[x]) << s.kb;
    const __int128 num = 2 * A + D, den = 2 * D;
    __int128 q = num / den;
    if (num % den != 0 && num < 0) --q;  // floor
    if (q < s.lo || q > s.hi)
      return make_error("divide: entry " + std::to_string(x) + " saturates (a quotient the executor clamps is not provable yet)");
    const __int128 r = num - den * q, u = den - 1 - r;
    ZK_ASSERT(r >= 0 && u >= 0);
    w.columns[0][x] = Fp::from_i64(int64_t(q));
    for (unsigned i = 0; i < limbs; ++i) {
      w.columns[1 + i][x] = Fp(uint64_t(r >> (kLimb * i)) & 0xffff);
      w.columns[1 + limbs + i][x] = Fp(uint64_t(u >> (kLimb * i)) & 0xffff);
    }
  }
  return w;
}

std::vector<RangeTerm> divide_range_terms(const DivideShape& s, std::span<const uint32_t> ids) {
  ZK_ASSERT(ids.size() == s.num_columns());
  const unsigned limbs = s.rem_limbs(), bits = s.rem_bits();
  std::vector<RangeTerm> terms;
  terms.push_back({ids[0], s.shape, poly::log2_ceil(uint64_t(s.hi - s.lo + 1)), -s.lo});
  for (unsigned half = 0; half < 2; ++half)
    for (unsigned i = 0; i < limbs; ++i)
      terms.push_back({ids[1 + half * limbs + i], s.shape, i + 1 < limbs ? kLimb : bits - kLimb * (limbs - 1), 0});
  return terms;
}

DivideProof prove_divide(const DivideShape& s, std::span<const Fp> a, std::span<const Fp> b, const DivideWitness& w,
                         transcript::Transcript& t, DivideClaims* claims) {
  ZK_ASSERT(s.check().ok() && w.columns.size() == s.num_columns());
  absorb_shape(t, s);
  std::vector<Fp2> tau = t.challenges("divide.tau", s.num_vars());
  Fp2 gamma = t.challenge("divide.gamma");
  const std::vector<Fp> sel = s.shape.selector_table();
  sumcheck::Instance inst;
  inst.factors = {a, b, std::span<const Fp>(sel)};
  for (const auto& col : w.columns) inst.factors.push_back(std::span<const Fp>(col));
  inst.terms = constraint_terms(s, gamma);
  inst.eq_point = tau;
  auto sc = sumcheck::prove(inst, Fp2::zero(), t);
  DivideProof p;
  p.zerocheck = std::move(sc.proof);
  p.a_eval = sc.factor_evals[kA];
  p.b_eval = sc.factor_evals[kB];
  p.column_evals.assign(sc.factor_evals.begin() + kQ, sc.factor_evals.end());
  t.absorb("divide.operand_evals", std::span<const Fp2>(sc.factor_evals.data(), 2));
  t.absorb("divide.column_evals", std::span<const Fp2>(p.column_evals));
  if (claims) {
    claims->a = {sc.point, p.a_eval};
    claims->b = {sc.point, p.b_eval};
    claims->columns.clear();
    for (const auto& e : p.column_evals) claims->columns.push_back({sc.point, e});
  }
  return p;
}

Result<DivideClaims> verify_divide(const DivideShape& s, const DivideProof& proof, transcript::Transcript& t) {
  ZK_TRY(s.check());
  if (proof.column_evals.size() != s.num_columns()) return make_error("divide: wrong number of column evaluations");
  absorb_shape(t, s);
  std::vector<Fp2> tau = t.challenges("divide.tau", s.num_vars());
  Fp2 gamma = t.challenge("divide.gamma");
  size_t constraints = 0;
  auto terms = constraint_terms(s, gamma, &constraints);
  transcript::charge_point(t, s.num_vars());
  transcript::charge_powers(t, constraints);
  auto sub = sumcheck::verify(Fp2::zero(), s.num_vars(), sumcheck::degree_of(0, terms, s.num_vars() > 0), proof.zerocheck, t);
  if (!sub.ok()) return make_error("divide zerocheck: " + sub.error());
  std::vector<Fp2> evals = {proof.a_eval, proof.b_eval, s.shape.selector(sub->point)};
  evals.insert(evals.end(), proof.column_evals.begin(), proof.column_evals.end());
  if (auto st = sumcheck::check_final(*sub, evals, tau, terms); !st.ok()) return make_error("divide zerocheck: " + st.error());
  const Fp2 operands[2] = {proof.a_eval, proof.b_eval};
  t.absorb("divide.operand_evals", std::span<const Fp2>(operands));
  t.absorb("divide.column_evals", std::span<const Fp2>(proof.column_evals));
  DivideClaims c;
  c.a = {sub->point, proof.a_eval};
  c.b = {sub->point, proof.b_eval};
  for (const auto& e : proof.column_evals) c.columns.push_back({sub->point, e});
  return c;
}

void DivideProof::write(util::ByteWriter& w) const {
  zerocheck.write(w);
  field::write(w, a_eval);
  field::write(w, b_eval);
  for (const auto& e : column_evals) field::write(w, e);
}

Result<DivideProof> DivideProof::read(util::ByteReader& r, const DivideShape& s) {
  ZK_TRY(s.check());
  auto terms = constraint_terms(s, Fp2::one());
  auto sc = sumcheck::Proof::read(r, s.num_vars(), sumcheck::degree_of(0, terms, s.num_vars() > 0));
  if (!sc.ok()) return make_error("divide proof: " + sc.error());
  DivideProof p;
  p.zerocheck = std::move(sc).value();
  ZK_TRY(field::read(r, p.a_eval));
  ZK_TRY(field::read(r, p.b_eval));
  p.column_evals.resize(s.num_columns());
  for (auto& e : p.column_evals) ZK_TRY(field::read(r, e));
  return p;
}

}  // namespace zks::circuits
