#include "circuits/gadgets/bmm.hpp"

#include <string>

#include "field/field.hpp"
#include "poly/mle.hpp"
#include "util/assert.hpp"

namespace zks::circuits {

namespace {

uint64_t pdim(const poly::PaddedShape& s, size_t a) { return uint64_t(1) << s.axis_bits(a); }

// Padded sizes: batch (of Y), M, K, N.
struct Dims {
  uint64_t batch = 1, m, k, n;
  size_t r;
  explicit Dims(const BmmShape& s) : r(s.rank()) {
    for (size_t a = 0; a + 2 < r; ++a) batch *= pdim(s.y, a);
    m = pdim(s.y, r - 2), n = pdim(s.y, r - 1), k = pdim(s.a, r - 1);
  }
};

// The flat padded batch index of an operand for Y's flat padded batch index (its
// broadcast axes at coordinate 0).
uint64_t operand_batch(const BmmShape& s, const poly::PaddedShape& op, uint64_t yb) {
  const size_t r = s.rank();
  uint64_t out = 0, stride = 1;
  for (size_t a = r - 2; a-- > 0;) {
    const uint64_t yd = pdim(s.y, a), c = yb % yd;
    yb /= yd;
    if (op.dims()[a] == s.y.dims()[a]) out += c * stride, stride *= pdim(op, a);
  }
  return out;
}

// rho_b (Y's batch coordinates, low axes first) restricted to the axes `op` keeps.
std::vector<Fp2> operand_batch_point(const BmmShape& s, const poly::PaddedShape& op, std::span<const Fp2> rho_b) {
  std::vector<Fp2> out;
  size_t at = 0;
  for (size_t a = s.rank() - 2; a-- > 0;) {
    const unsigned bits = s.y.axis_bits(a);
    if (op.dims()[a] == s.y.dims()[a]) out.insert(out.end(), rho_b.begin() + long(at), rho_b.begin() + long(at + bits));
    at += bits;
  }
  return out;
}

// The claims on A at (rho_k, z_i, rho_b restricted) and on B at (z_j, rho_k, rho_b
// restricted), from the claim point z on Y and the sumcheck point rho = (rho_k, rho_b).
BmmClaims operand_claims(const BmmShape& s, std::span<const Fp2> z, std::span<const Fp2> rho, const BmmProof& p) {
  const size_t r = s.rank();
  const unsigned nb = s.y.axis_bits(r - 1), mb = s.y.axis_bits(r - 2), kb = s.a.axis_bits(r - 1);
  auto rho_k = rho.subspan(0, kb), rho_b = rho.subspan(kb);
  std::vector<Fp2> pa(rho_k.begin(), rho_k.end());
  pa.insert(pa.end(), z.begin() + nb, z.begin() + nb + mb);
  auto ba = operand_batch_point(s, s.a, rho_b);
  pa.insert(pa.end(), ba.begin(), ba.end());
  std::vector<Fp2> pb(z.begin(), z.begin() + nb);
  pb.insert(pb.end(), rho_k.begin(), rho_k.end());
  auto bb = operand_batch_point(s, s.b, rho_b);
  pb.insert(pb.end(), bb.begin(), bb.end());
  return {{std::move(pa), p.a_eval}, {std::move(pb), p.b_eval}};
}

void absorb_shape(transcript::Transcript& t, const BmmShape& s) {
  util::ByteWriter w;
  for (const auto* p : {&s.a, &s.b, &s.y}) {
    w.u32(uint32_t(p->dims().size()));
    for (uint32_t d : p->dims()) w.u32(d);
  }
  t.absorb_bytes("bmm.shape", w.bytes());
}

}  // namespace

Status BmmShape::check() const {
  const size_t r = rank();
  if (r < 2 || a.dims().size() != r || b.dims().size() != r) return make_error("bmm: A, B and Y must have one rank >= 2");
  if (a.dims()[r - 1] != b.dims()[r - 2]) return make_error("bmm: inner dimensions differ");
  if (a.dims()[r - 2] != y.dims()[r - 2] || b.dims()[r - 1] != y.dims()[r - 1]) return make_error("bmm: Y's shape is not M x N");
  for (size_t i = 0; i + 2 < r; ++i)
    for (const auto* p : {&a, &b})
      if (p->dims()[i] != y.dims()[i] && p->dims()[i] != 1) return make_error("bmm: batch axes do not broadcast");
  if (sum_vars() > 28 || a.num_vars() > 28 || b.num_vars() > 28 || y.num_vars() > 28) return make_error("bmm: too large");
  return {};
}

unsigned BmmShape::sum_vars() const {
  unsigned v = a.axis_bits(rank() - 1);
  for (size_t i = 0; i + 2 < rank(); ++i) v += y.axis_bits(i);
  return v;
}

std::vector<Fp> bmm(const BmmShape& s, std::span<const Fp> a, std::span<const Fp> b) {
  ZK_ASSERT(s.check().ok() && a.size() == s.a.padded_size() && b.size() == s.b.padded_size());
  const Dims d(s);
  const uint64_t K = s.a.dims()[d.r - 1];
  std::vector<Fp> y(s.y.padded_size(), Fp::zero());
  for (uint64_t yb = 0; yb < d.batch; ++yb) {
    const uint64_t ab = operand_batch(s, s.a, yb), bb = operand_batch(s, s.b, yb);
    for (uint64_t i = 0; i < d.m; ++i)
      for (uint64_t k = 0; k < K; ++k) {
        const Fp av = a[(ab * d.m + i) * d.k + k];
        if (av == Fp::zero()) continue;
        for (uint64_t j = 0; j < d.n; ++j) y[(yb * d.m + i) * d.n + j] += av * b[(bb * d.k + k) * d.n + j];
      }
  }
  return y;
}

BmmProof prove_bmm(const BmmShape& s, std::span<const Fp> a, std::span<const Fp> b, const EvalClaim& y_claim,
                   transcript::Transcript& t, BmmClaims* claims) {
  ZK_ASSERT(s.check().ok() && y_claim.point.size() == s.y.num_vars());
  absorb_shape(t, s);
  const Dims d(s);
  const unsigned nb = s.y.axis_bits(d.r - 1), mb = s.y.axis_bits(d.r - 2);
  std::span<const Fp2> z(y_claim.point);
  auto eq_j = poly::eq_table(z.subspan(0, nb)), eq_i = poly::eq_table(z.subspan(nb, mb));
  auto eq_b = poly::eq_table(z.subspan(nb + mb));
  const uint64_t K = s.a.dims()[d.r - 1];
  std::vector<Fp2> A(d.batch * d.k, Fp2::zero()), B(d.batch * d.k, Fp2::zero()), E(d.batch * d.k, Fp2::zero());
  for (uint64_t yb = 0; yb < d.batch; ++yb) {
    const uint64_t ab = operand_batch(s, s.a, yb), bb = operand_batch(s, s.b, yb);
    for (uint64_t k = 0; k < d.k; ++k) {
      Fp2 av = Fp2::zero(), bv = Fp2::zero();
      for (uint64_t i = 0; i < d.m; ++i) av += eq_i[i] * Fp2(a[(ab * d.m + i) * d.k + k]);
      for (uint64_t j = 0; j < d.n; ++j) bv += eq_j[j] * Fp2(b[(bb * d.k + k) * d.n + j]);
      A[yb * d.k + k] = av, B[yb * d.k + k] = bv;
      if (k < K) E[yb * d.k + k] = eq_b[yb];
    }
  }
  sumcheck::Instance inst;
  inst.factors = {std::span<const Fp2>(E), std::span<const Fp2>(A), std::span<const Fp2>(B)};
  auto sc = sumcheck::prove(inst, y_claim.value, t);
  BmmProof p;
  p.sumcheck = std::move(sc.proof);
  p.a_eval = sc.factor_evals[1], p.b_eval = sc.factor_evals[2];
  const Fp2 evals[2] = {p.a_eval, p.b_eval};
  t.absorb("bmm.evals", std::span<const Fp2>(evals));
  if (claims) *claims = operand_claims(s, z, sc.point, p);
  return p;
}

Result<BmmClaims> verify_bmm(const BmmShape& s, const EvalClaim& y_claim, const BmmProof& proof, transcript::Transcript& t) {
  ZK_TRY(s.check());
  if (y_claim.point.size() != s.y.num_vars()) return make_error("bmm: claim point has the wrong size");
  absorb_shape(t, s);
  const size_t r = s.rank();
  const unsigned nb = s.y.axis_bits(r - 1), mb = s.y.axis_bits(r - 2), kb = s.a.axis_bits(r - 1);
  auto sub = sumcheck::verify(y_claim.value, s.sum_vars(), 3, proof.sumcheck, t);
  if (!sub.ok()) return make_error("bmm: " + sub.error());
  std::span<const Fp2> z(y_claim.point), rho(sub->point);
  auto rho_k = rho.subspan(0, kb), rho_b = rho.subspan(kb);
  Fp2 e = poly::lt_eval(s.a.dims()[r - 1], rho_k);
  auto zb = z.subspan(nb + mb);
  for (size_t v = 0; v < zb.size(); ++v) e *= zb[v] * rho_b[v] + (Fp2::one() - zb[v]) * (Fp2::one() - rho_b[v]);
  const Fp2 evals[3] = {e, proof.a_eval, proof.b_eval};
  if (auto st = sumcheck::check_final(*sub, evals, {}); !st.ok()) return make_error("bmm: " + st.error());
  const Fp2 ab[2] = {proof.a_eval, proof.b_eval};
  t.absorb("bmm.evals", std::span<const Fp2>(ab));
  return operand_claims(s, z, sub->point, proof);
}

void BmmProof::write(util::ByteWriter& w) const {
  sumcheck.write(w);
  field::write(w, a_eval);
  field::write(w, b_eval);
}

Result<BmmProof> BmmProof::read(util::ByteReader& r, const BmmShape& s) {
  ZK_TRY(s.check());
  auto sc = sumcheck::Proof::read(r, s.sum_vars(), 3);
  if (!sc.ok()) return make_error("bmm proof: " + sc.error());
  BmmProof p;
  p.sumcheck = std::move(sc).value();
  ZK_TRY(field::read(r, p.a_eval));
  ZK_TRY(field::read(r, p.b_eval));
  return p;
}

}  // namespace zks::circuits
