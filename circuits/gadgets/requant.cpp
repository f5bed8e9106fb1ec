#include "circuits/gadgets/requant.hpp"

#include <string>

#include "field/field.hpp"
#include "poly/mle.hpp"
#include "transcript/soundness.hpp"
#include "util/assert.hpp"

namespace zks::circuits {

namespace {

constexpr unsigned kLimb = 16;

unsigned ceil16(unsigned bits) { return (bits + kLimb - 1) / kLimb; }

// Factor indices of the zerocheck: the committed columns follow acc and sel.
struct Layout {
  unsigned acc = 0, sel = 1, q = 2, b_lo = 0, b_hi = 0, r0 = 0, h0 = 0;
  unsigned nr = 0, nh = 0;
  bool flags = false;
  explicit Layout(const RequantShape& s) {
    flags = s.excess_bits > 0;
    unsigned next = 3;
    if (flags) b_lo = next++, b_hi = next++;
    r0 = next, nr = s.remainder_limbs(), next += nr;
    h0 = next, nh = s.excess_limbs();
  }
  // The bits of limb i of n limbs that hold `bits` bits in all: 16, the top one fewer.
  static unsigned limb_bits(unsigned bits, unsigned i, unsigned n) { return i + 1 < n ? kLimb : bits - kLimb * (n - 1); }
  // The limbs of one bit (a remainder of 17 or 33 bits, say, ends in one): C10 makes
  // them bits instead of a range term, which would cost two blocks of the range witness.
  std::vector<unsigned> bit_limbs(const RequantShape& s) const {
    std::vector<unsigned> out;
    for (unsigned i = 0; i < nr; ++i)
      if (limb_bits(s.shift, i, nr) == 1) out.push_back(r0 + i);
    for (unsigned j = 0; j < nh; ++j)
      if (limb_bits(s.excess_bits, j, nh) == 1) out.push_back(h0 + j);
    return out;
  }
};

Fp2 c(int64_t v) { return Fp2(Fp::from_i64(v)); }
Fp2 pow2(unsigned k) { return Fp2(Fp(2).pow(k)); }

// The constraints as terms over the factors (acc, sel, columns...), each scaled by
// gamma^i. See requant.hpp for C0..C9.
std::vector<sumcheck::Term> constraint_terms(const RequantShape& s, const Fp2& gamma, size_t* constraints = nullptr) {
  const Layout L(s);
  // s = 0 (no rounding): half = 0, no remainder limbs, e = h.
  const Fp2 two_s = pow2(s.shift), half = s.shift ? pow2(s.shift - 1) : Fp2::zero();
  sumcheck::ConstraintTerms ct(gamma);
  auto add = [&](const Fp2& coeff, std::vector<unsigned> f) { ct.add(coeff, std::move(f)); };
  auto next = [&] { ct.next(); };
  // C0: acc + 2^(s-1) sel - 2^s q - [2^s b_hi + b_lo (2d + sel)] - r - 2^s h = 0 with
  //     d = acc + 2^(s-1) sel - 2^s q,  r = sum_i 2^(16 i) r_i,  h = sum_j 2^(16 j) h_j.
  add(Fp2::one(), {L.acc});
  add(half, {L.sel});
  add(-two_s, {L.q});
  if (L.flags) {
    add(-two_s, {L.b_hi});
    add(c(-2), {L.b_lo, L.acc});
    add(-(half + half), {L.b_lo, L.sel});
    add(two_s + two_s, {L.b_lo, L.q});
    add(-Fp2::one(), {L.b_lo, L.sel});
  }
  for (unsigned i = 0; i < L.nr; ++i) add(-pow2(kLimb * i), {L.r0 + i});
  for (unsigned j = 0; j < L.nh; ++j) add(-(two_s * pow2(kLimb * j)), {L.h0 + j});
  next();
  if (L.flags) {
    // C1, C2: b (1 - b) = b - b^2;  C3: b_lo b_hi.
    for (unsigned b : {L.b_lo, L.b_hi}) {
      add(Fp2::one(), {b});
      add(-Fp2::one(), {b, b});
      next();
    }
    add(Fp2::one(), {L.b_lo, L.b_hi});
    next();
    // C4: b_lo q - lo b_lo;  C5: b_hi q - hi b_hi.
    add(Fp2::one(), {L.b_lo, L.q});
    add(-c(s.lo), {L.b_lo});
    next();
    add(Fp2::one(), {L.b_hi, L.q});
    add(-c(s.hi), {L.b_hi});
    next();
    // C6: (sel - b_lo - b_hi) h_j for each limb (sel = 1 on real rows; padded rows
    // have h = 0 by C0 and the range checks).
    for (unsigned j = 0; j < L.nh; ++j) {
      add(Fp2::one(), {L.sel, L.h0 + j});
      add(-Fp2::one(), {L.b_lo, L.h0 + j});
      add(-Fp2::one(), {L.b_hi, L.h0 + j});
      next();
    }
  }
  // C10: l (1 - l) for each limb of one bit.
  for (unsigned l : L.bit_limbs(s)) {
    add(Fp2::one(), {l});
    add(-Fp2::one(), {l, l});
    next();
  }
  // C7..C9: (1 - sel) col = col - sel col for q and the flags.
  std::vector<unsigned> padded = {L.q};
  if (L.flags) padded.push_back(L.b_lo), padded.push_back(L.b_hi);
  for (unsigned col : padded) {
    add(Fp2::one(), {col});
    add(-Fp2::one(), {L.sel, col});
    next();
  }
  if (constraints) *constraints = ct.constraints();
  return ct.take();
}

void absorb_shape(transcript::Transcript& t, const RequantShape& s) {
  util::ByteWriter w;
  w.u32(static_cast<uint32_t>(s.shape.dims().size()));
  for (uint32_t d : s.shape.dims()) w.u32(d);
  w.u32(s.shift);
  w.u64(static_cast<uint64_t>(s.lo));
  w.u64(static_cast<uint64_t>(s.hi));
  w.u32(s.excess_bits);
  t.absorb_bytes("requant.shape", w.bytes());
}

}  // namespace

Status RequantShape::check() const {
  if (num_vars() > 28) return make_error("requant: tensor larger than 2^28");
  if (shape.dims().size() > 8) return make_error("requant: more than 8 axes");
  if (shift > 48) return make_error("requant: shift " + std::to_string(shift) + " outside 0..48");
  if (hi < lo || hi - lo + 1 > (int64_t(1) << kLimb) || ((hi - lo + 1) & (hi - lo)) != 0)
    return make_error("requant: clamp range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                      "] is not 2^B values with B <= 16");
  if (excess_bits > 40 || shift + excess_bits > 60)
    return make_error("requant: excess of " + std::to_string(excess_bits) + " bits exceeds the field headroom");
  return {};
}

unsigned RequantShape::out_bits() const { return poly::log2_ceil(uint64_t(hi - lo + 1)); }
unsigned RequantShape::remainder_limbs() const { return ceil16(shift); }
unsigned RequantShape::excess_limbs() const { return ceil16(excess_bits); }
size_t RequantShape::num_columns() const {
  return 1 + (excess_bits ? 2 : 0) + remainder_limbs() + excess_limbs();
}

Result<RequantWitness> requant_witness(const RequantShape& s, std::span<const int64_t> acc) {
  ZK_TRY(s.check());
  const size_t n = s.shape.padded_size();
  if (acc.size() != n) return make_error("requant: accumulator table has the wrong size");
  const Layout L(s);
  RequantWitness w;
  w.columns.assign(s.num_columns(), std::vector<Fp>(n, Fp::zero()));
  const int64_t half = s.shift ? int64_t(1) << (s.shift - 1) : 0, two_s = int64_t(1) << s.shift;
  const int64_t excess_cap = int64_t(1) << s.excess_bits;
  auto col = [&](unsigned factor) -> std::vector<Fp>& { return w.columns[factor - 2]; };
  const auto real = s.shape.real_mask();
  for (size_t x = 0; x < n; ++x) {
    if (!real[x]) {
      if (acc[x] != 0) return make_error("requant: padded accumulator entry " + std::to_string(x) + " is not zero");
      continue;
    }
    const int64_t a = acc[x];
    if (a >= (int64_t(1) << 61) || a <= -(int64_t(1) << 61))
      return make_error("requant: accumulator at row " + std::to_string(x) + " exceeds 2^61");
    const int64_t q_full = (a + half) >> s.shift;  // arithmetic shift: floor division
    int64_t q = q_full < s.lo ? s.lo : q_full > s.hi ? s.hi : q_full;
    const int64_t d = a + half - two_s * q;
    int64_t e = d;
    if (q_full > s.hi) e = d - two_s;
    if (q_full < s.lo) e = -d - 1;
    if (q != q_full) {
      if (!L.flags)
        return make_error("requant: row " + std::to_string(x) + " saturates (" + std::to_string(q_full) +
                          ") but the shape says it cannot");
      ++w.saturations;
      col(q_full < s.lo ? L.b_lo : L.b_hi)[x] = Fp::one();
    }
    ZK_ASSERT(e >= 0);
    const int64_t r = e & (two_s - 1), h = e >> s.shift;
    if (h >= excess_cap)
      return make_error("requant: row " + std::to_string(x) + " exceeds the " + std::to_string(s.excess_bits) +
                        "-bit excess bound");
    col(L.q)[x] = Fp::from_i64(q);
    for (unsigned i = 0; i < L.nr; ++i) col(L.r0 + i)[x] = Fp(uint64_t(r >> (kLimb * i)) & 0xffff);
    for (unsigned j = 0; j < L.nh; ++j) col(L.h0 + j)[x] = Fp(uint64_t(h >> (kLimb * j)) & 0xffff);
  }
  return w;
}

std::vector<RangeTerm> requant_range_terms(const RequantShape& s, std::span<const uint32_t> ids) {
  ZK_ASSERT(ids.size() == s.num_columns());
  const Layout L(s);
  std::vector<RangeTerm> terms;
  terms.push_back({ids[L.q - 2], s.shape, s.out_bits(), -s.lo});
  // The flags and the limbs of one bit need no range term: C1, C2 and C10 make them bits.
  for (unsigned i = 0; i < L.nr; ++i)
    if (unsigned b = Layout::limb_bits(s.shift, i, L.nr); b > 1) terms.push_back({ids[L.r0 + i - 2], s.shape, b, 0});
  for (unsigned j = 0; j < L.nh; ++j)
    if (unsigned b = Layout::limb_bits(s.excess_bits, j, L.nh); b > 1)
      terms.push_back({ids[L.h0 + j - 2], s.shape, b, 0});
  return terms;
}

RequantProverOutput prove_requant(const RequantShape& s, std::span<const Fp> acc,
                                  const RequantWitness& w, transcript::Transcript& t) {
  ZK_ASSERT(s.check().ok() && w.columns.size() == s.num_columns());
  absorb_shape(t, s);
  std::vector<Fp2> tau = t.challenges("requant.tau", s.num_vars());
  Fp2 gamma = t.challenge("requant.gamma");
  const std::vector<Fp> sel = s.shape.selector_table();
  sumcheck::Instance inst;
  inst.factors = {acc, std::span<const Fp>(sel)};
  for (const auto& col : w.columns) inst.factors.push_back(std::span<const Fp>(col));
  inst.terms = constraint_terms(s, gamma);
  inst.eq_point = tau;
  auto sc = sumcheck::prove(inst, Fp2::zero(), t);
  RequantProverOutput out;
  out.proof.zerocheck = std::move(sc.proof);
  out.proof.acc_eval = sc.factor_evals[0];
  out.proof.column_evals.assign(sc.factor_evals.begin() + 2, sc.factor_evals.end());
  t.absorb("requant.acc_eval", out.proof.acc_eval);
  t.absorb("requant.column_evals", std::span<const Fp2>(out.proof.column_evals));
  out.claims.acc = {sc.point, out.proof.acc_eval};
  for (const auto& e : out.proof.column_evals) out.claims.columns.push_back({sc.point, e});
  return out;
}

Result<RequantClaims> verify_requant(const RequantShape& s, const RequantProof& proof,
                                     transcript::Transcript& t) {
  ZK_TRY(s.check());
  if (proof.column_evals.size() != s.num_columns()) return make_error("requant: wrong number of column evaluations");
  absorb_shape(t, s);
  std::vector<Fp2> tau = t.challenges("requant.tau", s.num_vars());
  Fp2 gamma = t.challenge("requant.gamma");
  size_t constraints = 0;
  auto terms = constraint_terms(s, gamma, &constraints);
  transcript::charge_point(t, s.num_vars());
  transcript::charge_powers(t, constraints);
  unsigned degree = sumcheck::degree_of(0, terms, s.num_vars() > 0);
  auto sub = sumcheck::verify(Fp2::zero(), s.num_vars(), degree, proof.zerocheck, t);
  if (!sub.ok()) return make_error("requant zerocheck: " + sub.error());
  std::vector<Fp2> evals = {proof.acc_eval, s.shape.selector(sub->point)};
  evals.insert(evals.end(), proof.column_evals.begin(), proof.column_evals.end());
  if (auto st = sumcheck::check_final(*sub, evals, tau, terms); !st.ok())
    return make_error("requant zerocheck: " + st.error());
  t.absorb("requant.acc_eval", proof.acc_eval);
  t.absorb("requant.column_evals", std::span<const Fp2>(proof.column_evals));
  RequantClaims claims;
  claims.acc = {sub->point, proof.acc_eval};
  for (const auto& e : proof.column_evals) claims.columns.push_back({sub->point, e});
  return claims;
}

void RequantProof::write(util::ByteWriter& w) const {
  zerocheck.write(w);
  field::write(w, acc_eval);
  for (const auto& e : column_evals) field::write(w, e);
}

Result<RequantProof> RequantProof::read(util::ByteReader& r, const RequantShape& s) {
  ZK_TRY(s.check());
  auto terms = constraint_terms(s, Fp2::one());
  auto sc = sumcheck::Proof::read(r, s.num_vars(), sumcheck::degree_of(0, terms, s.num_vars() > 0));
  if (!sc.ok()) return make_error("requant proof: " + sc.error());
  RequantProof p;
  p.zerocheck = std::move(sc).value();
  ZK_TRY(field::read(r, p.acc_eval));
  p.column_evals.resize(s.num_columns());
  for (auto& e : p.column_evals) ZK_TRY(field::read(r, e));
  return p;
}

}  // namespace zks::circuits
