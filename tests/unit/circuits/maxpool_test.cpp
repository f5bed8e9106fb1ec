// Max pooling: completeness (its claims checked against the witness) and tamper tests
// of the proof, the taps' batched gather and product included.
#include <catch2/catch.hpp>
#include <random>

#include "circuits/gadgets/maxpool.hpp"
#include "poly/mle.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::transcript::Transcript;
namespace c = zks::circuits;

namespace {

struct Case {
  c::MaxPoolShape s;
  std::vector<Fp> x;
  c::MaxPoolWitness w;

  explicit Case(c::MaxPoolShape shape, uint64_t seed) : s(std::move(shape)) {
    std::mt19937_64 rng(seed);
    std::vector<Fp> dense(s.in.real_count());
    for (auto& v : dense) v = Fp::from_i64(int64_t(rng() % 2001) - 1000);
    x = zks::poly::pad_tensor<Fp>(dense, s.in);
    auto wr = c::maxpool_witness(s, x);
    REQUIRE(wr.ok());
    w = std::move(wr).value();
  }

  c::MaxPoolProof prove() const {
    Transcript t("maxpool-test");
    return c::prove_maxpool(s, x, w, t, nullptr);
  }
  // Verifies, then checks every claim against the tensors (what the slice's openings do).
  zks::Status check(const c::MaxPoolProof& p) const {
    Transcript t("maxpool-test");
    auto cl = c::verify_maxpool(s, p, t);
    if (!cl.ok()) return zks::make_error(cl.error());
    if (zks::poly::evaluate(x, cl->x.point) != cl->x.value) return zks::make_error("x claim false");
    if (zks::poly::evaluate(w.y, cl->y.point) != cl->y.value) return zks::make_error("y claim false");
    for (size_t k = 0; k < s.taps.size(); ++k)
      for (const auto* d : {&cl->d_rho[k], &cl->d_r[k]})
        if (zks::poly::evaluate(w.d[k], d->point) != d->value) return zks::make_error("d claim false");
    return {};
  }
};

}  // namespace

TEST_CASE("max pooling proves 2x2, strided 3x3 with padding, and 1x1 windows", "[circuits]") {
  // (C, H, W, OH, OW, KH, KW, stride, pad)
  struct P { uint32_t C, H, W, OH, OW, K, s, p; };
  for (const P& q : {P{3, 8, 6, 4, 3, 2, 2, 0}, P{2, 7, 7, 4, 4, 3, 2, 1}, P{1, 5, 3, 5, 3, 1, 1, 0}}) {
    CAPTURE(q.C, q.H, q.W, q.K);
    auto shape = c::maxpool_shape(q.C, q.H, q.W, q.OH, q.OW, q.K, q.K, q.s, q.s, 1, 1, q.p, q.p);
    REQUIRE(shape.ok());
    Case cs(*shape, q.H * 31 + q.K);
    auto st = cs.check(cs.prove());
    INFO(st.error());
    REQUIRE(st.ok());
  }
}

TEST_CASE("max pooling rejects tampered proofs, the taps' batched parts included", "[circuits]") {
  auto shape = c::maxpool_shape(2, 7, 7, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1);
  REQUIRE(shape.ok());
  Case cs(*shape, 5);
  const auto p = cs.prove();
  REQUIRE(cs.check(p).ok());
  for (size_t k = 0; k < cs.s.taps.size(); ++k) {
    CAPTURE(k);
    for (auto field : {&c::MaxPoolProof::d_at_rho, &c::MaxPoolProof::d_at_r, &c::MaxPoolProof::x_at_r}) {
      auto bad = p;
      (bad.*field)[k] += Fp2::one();
      REQUIRE_FALSE(cs.check(bad).ok());
    }
  }
  auto bad = p;
  bad.gather.x_eval += Fp2::one();
  REQUIRE_FALSE(cs.check(bad).ok());
  bad = p;
  bad.gather.sumcheck.rounds[0][0] += Fp2::one();
  REQUIRE_FALSE(cs.check(bad).ok());
  bad = p;
  bad.product.sumcheck.rounds[1][1] += Fp2::one();
  REQUIRE_FALSE(cs.check(bad).ok());
  // The validity table's value and y's value scaled against each other: the product
  // sumcheck's final check still holds, so only the verifier's own evaluation of the
  // (public) validity table rejects it; without it, any H_t would pass with a true y claim.
  bad = p;
  const Fp2 k = Fp2(Fp(3));
  bad.product.a_eval = p.product.a_eval * k;
  bad.product.b_eval = p.product.b_eval * k.inverse();
  Transcript t("maxpool-test");
  auto r = c::verify_maxpool(cs.s, bad, t);
  REQUIRE_FALSE(r.ok());
  REQUIRE_THAT(r.error(), Catch::Contains("validity claim is false"));
}
