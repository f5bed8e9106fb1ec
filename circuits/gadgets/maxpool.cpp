#include "circuits/gadgets/maxpool.hpp"

#include <string>

#include "field/field.hpp"
#include "poly/mle.hpp"
#include "transcript/soundness.hpp"
#include "util/assert.hpp"

namespace zks::circuits {

namespace {

void absorb_shape(transcript::Transcript& t, const MaxPoolShape& s) {
  t.absorb_u64("maxpool.taps", s.taps.size());
  for (const poly::PaddedShape* ps : {&s.in, &s.out})
    for (uint32_t d : ps->dims()) t.absorb_u64("maxpool.dim", d);
}

unsigned degree(const MaxPoolShape& s) { return static_cast<unsigned>(s.taps.size()) + (s.out.num_vars() > 0 ? 1 : 0); }

}  // namespace

Status MaxPoolShape::check() const {
  if (taps.empty() || taps.size() + 1 > sumcheck::kMaxDegree)
    return make_error("maxpool: " + std::to_string(taps.size()) + " kernel taps; at most " +
                      std::to_string(sumcheck::kMaxDegree - 1) + " are provable");
  for (const auto& g : taps) {
    ZK_TRY(g.check());
    if (!(g.in == in && g.out == out) || g.is_sum()) return make_error("maxpool: a tap is not a gather of the input");
  }
  return {};
}

std::vector<Fp> maxpool_valid(const MaxPoolShape& s, size_t tap) {
  std::vector<Fp> valid(s.out.padded_size(), Fp::zero());
  const auto& g = s.taps[tap].gather;
  const auto out = s.out.padded_indices();
  for (size_t i = 0; i < g.size(); ++i)
    if (g[i] >= 0) valid[out[i]] = Fp::one();
  return valid;
}

Result<MaxPoolShape> maxpool_shape(uint32_t C, uint32_t H, uint32_t W, uint32_t OH, uint32_t OW, uint32_t KH,
                                   uint32_t KW, uint32_t sh, uint32_t sw, uint32_t dh, uint32_t dw, uint32_t pt,
                                   uint32_t pl) {
  MaxPoolShape s;
  s.in = poly::PaddedShape({1, C, H, W});
  s.out = poly::PaddedShape({1, C, OH, OW});
  for (uint32_t kh = 0; kh < KH; ++kh)
    for (uint32_t kw = 0; kw < KW; ++kw) {
      GatherShape g{s.in, s.out, {}, 0};
      for (uint32_t c = 0; c < C; ++c)
        for (uint32_t oh = 0; oh < OH; ++oh)
          for (uint32_t ow = 0; ow < OW; ++ow) {
            int64_t ih = int64_t(oh) * sh - pt + int64_t(kh) * dh, iw = int64_t(ow) * sw - pl + int64_t(kw) * dw;
            bool inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
            g.gather.push_back(inside ? (int64_t(c) * H + ih) * W + iw : -1);
          }
      s.taps.push_back(std::move(g));
    }
  ZK_TRY(s.check());
  return s;
}

Result<MaxPoolWitness> maxpool_witness(const MaxPoolShape& s, std::span<const Fp> x) {
  ZK_TRY(s.check());
  MaxPoolWitness w;
  std::vector<std::vector<Fp>> xt, valid;
  for (size_t t = 0; t < s.taps.size(); ++t) {
    xt.push_back(apply_gather(s.taps[t], x));
    valid.push_back(maxpool_valid(s, t));
  }
  const size_t n = s.out.padded_size();
  w.y.assign(n, Fp::zero());
  const auto real = s.out.real_mask();
  for (size_t o = 0; o < n; ++o) {
    if (!real[o]) continue;
    bool any = false;
    int64_t best = 0;
    for (size_t t = 0; t < s.taps.size(); ++t)
      if (!valid[t][o].is_zero()) {
        int64_t v = xt[t][o].to_i64_centered();
        best = any ? std::max(best, v) : v;
        any = true;
      }
    if (!any) return make_error("maxpool: output entry " + std::to_string(o) + " has no tap inside the input");
    w.y[o] = Fp::from_i64(best);
  }
  for (size_t t = 0; t < s.taps.size(); ++t) {
    std::vector<Fp> d(n, Fp::zero());
    for (size_t o = 0; o < n; ++o)
      if (real[o]) d[o] = valid[t][o].is_zero() ? Fp::one() : w.y[o] - xt[t][o];
    w.d.push_back(std::move(d));
  }
  return w;
}

std::vector<RangeTerm> maxpool_range_terms(const MaxPoolShape& s, std::span<const uint32_t> d_ids) {
  ZK_ASSERT(d_ids.size() == s.taps.size());
  std::vector<RangeTerm> terms;
  for (uint32_t id : d_ids) terms.push_back({id, s.out, 16, 0});
  return terms;
}

MaxPoolProof prove_maxpool(const MaxPoolShape& s, std::span<const Fp> x, const MaxPoolWitness& w,
                           transcript::Transcript& t, MaxPoolClaims* claims) {
  ZK_ASSERT(s.check().ok());
  absorb_shape(t, s);
  const unsigned nv = s.out.num_vars();
  MaxPoolProof p;
  MaxPoolClaims c;
  // prod_t d_t = 0 everywhere.
  sumcheck::Instance inst;
  for (const auto& d : w.d) inst.factors.push_back(std::span<const Fp>(d));
  inst.eq_point = t.challenges("maxpool.tau", nv);
  auto sc = sumcheck::prove(inst, Fp2::zero(), t);
  p.zerocheck = std::move(sc.proof);
  p.d_at_rho = sc.factor_evals;
  t.absorb("maxpool.d_at_rho", std::span<const Fp2>(p.d_at_rho));
  for (const auto& e : p.d_at_rho) c.d_rho.push_back({sc.point, e});
  // d_t = valid_t y - x_t + (1 - valid_t) [real] at a random point.
  EvalClaim at{t.challenges("maxpool.r", nv), Fp2::zero()};
  std::vector<std::vector<Fp>> xt;
  for (size_t k = 0; k < s.taps.size(); ++k) {
    xt.push_back(apply_gather(s.taps[k], x));
    p.d_at_r.push_back(poly::evaluate(w.d[k], at.point));
    p.x_at_r.push_back(poly::evaluate(xt[k], at.point));
  }
  t.absorb("maxpool.d_at_r", std::span<const Fp2>(p.d_at_r));
  t.absorb("maxpool.x_at_r", std::span<const Fp2>(p.x_at_r));
  std::vector<const GatherShape*> taps;
  std::vector<EvalClaim> x_claims;
  for (size_t k = 0; k < s.taps.size(); ++k) {
    c.d_r.push_back({at.point, p.d_at_r[k]});
    taps.push_back(&s.taps[k]);
    x_claims.push_back({at.point, p.x_at_r[k]});
  }
  auto g = prove_gathers(taps, x, x_claims, t);
  p.gather = std::move(g.proof);
  c.x = g.x;
  // H_t(r) = d_t~(r) + x_t~(r) - F_t(r) = sum_o eq(r, o) valid_t(o) y(o), all taps at once.
  const Fp2 beta = t.challenge("maxpool.beta");
  std::vector<Fp2> A(s.out.padded_size(), Fp2::zero());
  Fp2 H = Fp2::zero(), wk = Fp2::one();
  for (size_t k = 0; k < s.taps.size(); ++k, wk *= beta) {
    const auto valid = maxpool_valid(s, k);
    for (size_t o = 0; o < A.size(); ++o)
      if (valid[o] != Fp::zero()) A[o] += wk;
    H += wk * (p.d_at_r[k] + p.x_at_r[k] - gather_fill_weight(s.taps[k], separable_axes(s.taps[k]), at.point));
  }
  HadamardClaims hc;
  p.product = prove_hadamard(std::span<const Fp2>(A), w.y, {at.point, H}, t, &hc);
  c.y = hc.b;
  if (claims) *claims = std::move(c);
  return p;
}

Result<MaxPoolClaims> verify_maxpool(const MaxPoolShape& s, const MaxPoolProof& p, transcript::Transcript& t) {
  ZK_TRY(s.check());
  const size_t T = s.taps.size();
  if (p.d_at_rho.size() != T || p.d_at_r.size() != T || p.x_at_r.size() != T)
    return make_error("maxpool: wrong number of per-tap parts");
  absorb_shape(t, s);
  const unsigned nv = s.out.num_vars();
  MaxPoolClaims c;
  auto tau = t.challenges("maxpool.tau", nv);
  transcript::charge_point(t, nv);
  auto sub = sumcheck::verify(Fp2::zero(), nv, degree(s), p.zerocheck, t);
  if (!sub.ok()) return make_error("maxpool zerocheck: " + sub.error());
  if (auto st = sumcheck::check_final(*sub, p.d_at_rho, tau); !st.ok()) return make_error("maxpool zerocheck: " + st.error());
  t.absorb("maxpool.d_at_rho", std::span<const Fp2>(p.d_at_rho));
  for (const auto& e : p.d_at_rho) c.d_rho.push_back({sub->point, e});
  EvalClaim at{t.challenges("maxpool.r", nv), Fp2::zero()};
  transcript::charge_point(t, nv);
  t.absorb("maxpool.d_at_r", std::span<const Fp2>(p.d_at_r));
  t.absorb("maxpool.x_at_r", std::span<const Fp2>(p.x_at_r));
  std::vector<const GatherShape*> taps;
  std::vector<EvalClaim> x_claims;
  for (size_t k = 0; k < T; ++k) {
    c.d_r.push_back({at.point, p.d_at_r[k]});
    taps.push_back(&s.taps[k]);
    x_claims.push_back({at.point, p.x_at_r[k]});
  }
  auto g = verify_gathers(taps, x_claims, p.gather, t);
  if (!g.ok()) return make_error("maxpool taps: " + g.error());
  c.x = *g;
  const Fp2 beta = t.challenge("maxpool.beta");
  transcript::charge_powers(t, T);
  std::vector<AxisMaps> axes;
  Fp2 H = Fp2::zero(), wk = Fp2::one();
  for (size_t k = 0; k < T; ++k, wk *= beta) {
    axes.push_back(separable_axes(s.taps[k]));
    H += wk * (p.d_at_r[k] + p.x_at_r[k] - gather_fill_weight(s.taps[k], axes[k], at.point));
  }
  auto hc = verify_hadamard(nv, {at.point, H}, p.product, t);
  if (!hc.ok()) return make_error("maxpool taps: " + hc.error());
  // The validity tables are public: A~ = sum_t beta^t ([real]~ - F_t), evaluated here.
  Fp2 a = Fp2::zero();
  wk = Fp2::one();
  const Fp2 real = s.out.selector(hc->a.point);
  for (size_t k = 0; k < T; ++k, wk *= beta) a += wk * (real - gather_fill_weight(s.taps[k], axes[k], hc->a.point));
  if (a != hc->a.value) return make_error("maxpool taps: the validity claim is false");
  c.y = hc->b;
  return c;
}

void MaxPoolProof::write(util::ByteWriter& w) const {
  zerocheck.write(w);
  for (const auto* v : {&d_at_rho, &d_at_r, &x_at_r})
    for (const auto& e : *v) field::write(w, e);
  gather.write(w);
  product.write(w);
}

Result<MaxPoolProof> MaxPoolProof::read(util::ByteReader& r, const MaxPoolShape& s) {
  ZK_TRY(s.check());
  const size_t T = s.taps.size();
  auto sc = sumcheck::Proof::read(r, s.out.num_vars(), degree(s));
  if (!sc.ok()) return make_error("maxpool proof: " + sc.error());
  MaxPoolProof p;
  p.zerocheck = std::move(sc).value();
  for (auto* v : {&p.d_at_rho, &p.d_at_r, &p.x_at_r}) {
    v->resize(T);
    for (auto& e : *v) ZK_TRY(field::read(r, e));
  }
  auto g = GatherProof::read(r, s.taps[0]);
  if (!g.ok()) return make_error("maxpool proof: " + g.error());
  p.gather = std::move(g).value();
  auto h = HadamardProof::read(r, s.out.num_vars());
  if (!h.ok()) return make_error("maxpool proof: " + h.error());
  p.product = std::move(h).value();
  return p;
}

}  // namespace zks::circuits
