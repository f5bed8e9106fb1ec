// Batched matrix products with broadcasting: completeness against a direct product,
// claims on A and B that hold, padded K slots kept out of the sum, tamper tests.
#include <catch2/catch.hpp>
#include <random>

#include "circuits/gadgets/bmm.hpp"
#include "poly/mle.hpp"
#include "unit/support.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::poly::PaddedShape;
using zks::test::rand2;
using zks::transcript::Transcript;
namespace c = zks::circuits;

namespace {

struct Case {
  c::BmmShape s;
  std::vector<Fp> a, b, y;
  c::EvalClaim claim;

  Case(std::vector<uint32_t> ad, std::vector<uint32_t> bd, std::vector<uint32_t> yd, uint64_t seed)
      : s{PaddedShape(ad), PaddedShape(bd), PaddedShape(yd)} {
    REQUIRE(s.check().ok());
    std::mt19937_64 rng(seed);
    auto fill = [&](const PaddedShape& ps) {
      std::vector<Fp> dense(ps.real_count());
      for (auto& v : dense) v = Fp::from_i64(int64_t(rng() % 2001) - 1000);
      return zks::poly::pad_tensor<Fp>(dense, ps);
    };
    a = fill(s.a), b = fill(s.b);
    y = c::bmm(s, a, b);
    for (unsigned i = 0; i < s.y.num_vars(); ++i) claim.point.push_back(rand2(rng));
    claim.value = zks::poly::evaluate(y, claim.point);
  }
  zks::Status check(const c::BmmProof& p, const c::BmmShape* other = nullptr) const {
    Transcript t("bmm-test");
    auto r = c::verify_bmm(other ? *other : s, claim, p, t);
    if (!r.ok()) return zks::make_error(r.error());
    if (zks::poly::evaluate(a, r->a.point) != r->a.value) return zks::make_error("a claim false");
    if (zks::poly::evaluate(b, r->b.point) != r->b.value) return zks::make_error("b claim false");
    return {};
  }
  c::BmmProof prove() const {
    Transcript t("bmm-test");
    return c::prove_bmm(s, a, b, claim, t, nullptr);
  }
};

}  // namespace

TEST_CASE("bmm: the product is the executor's, and proofs verify for plain, batched and broadcast shapes", "[circuits]") {
  // Direct check of one entry of a broadcast product.
  Case small({2, 3, 5}, {1, 5, 4}, {2, 3, 4}, 1);
  const auto& s = small.s;
  auto at = [](const PaddedShape& ps, std::vector<uint32_t> idx) {
    uint64_t flat = 0;
    for (size_t ax = 0; ax < idx.size(); ++ax) flat = flat * (uint64_t(1) << ps.axis_bits(ax)) + idx[ax];
    return flat;
  };
  Fp want = Fp::zero();
  for (uint32_t k = 0; k < 5; ++k) want += small.a[at(s.a, {1, 2, k})] * small.b[at(s.b, {0, k, 3})];
  REQUIRE(small.y[at(s.y, {1, 2, 3})] == want);
  struct P { std::vector<uint32_t> a, b, y; };
  for (const P& p : {P{{3, 5}, {5, 7}, {3, 7}}, P{{4, 3, 6}, {4, 6, 2}, {4, 3, 2}}, P{{1, 5, 3}, {3, 3, 4}, {3, 5, 4}},
                     P{{2, 3, 8, 5}, {1, 3, 5, 6}, {2, 3, 8, 6}}, P{{1, 1}, {1, 1}, {1, 1}}}) {
    CAPTURE(p.a, p.b, p.y);
    Case cs(p.a, p.b, p.y, p.a.size() * 13 + p.b.back());
    REQUIRE(cs.check(cs.prove()).ok());
  }
}

TEST_CASE("bmm: padded K slots stay out of the sum, tampering is rejected", "[circuits]") {
  Case cs({2, 3, 5}, {2, 5, 3}, {2, 3, 3}, 7);
  // Garbage in a padded K column of A (k = 5..7) and a padded K row of B changes neither Y
  // nor the proof's validity: the selector [k < K] masks it.
  auto dirty = cs;
  dirty.a[5] = Fp(99);  // batch 0, row 0, k = 5
  dirty.b[5 * 4 + 1] = Fp(77);  // batch 0, k = 5, column 1
  REQUIRE(c::bmm(dirty.s, dirty.a, dirty.b) == cs.y);
  REQUIRE(dirty.check(dirty.prove()).ok());
  auto p = cs.prove();
  REQUIRE(cs.check(p).ok());
  auto wrong = cs;
  wrong.claim.value += Fp2::one();
  REQUIRE_FALSE(wrong.check(p).ok());
  REQUIRE_FALSE(wrong.check(wrong.prove()).ok());
  auto t1 = p;
  t1.a_eval += Fp2::one();
  REQUIRE_FALSE(cs.check(t1).ok());
  auto t2 = p;
  t2.b_eval += Fp2::one();
  REQUIRE_FALSE(cs.check(t2).ok());
  auto t3 = p;
  t3.sumcheck.rounds[0][0] += Fp2::one();
  REQUIRE_FALSE(cs.check(t3).ok());
  // A wrong B (one entry changed) cannot reproduce the claim.
  auto other = cs;
  other.b[0] += Fp::one();
  REQUIRE_FALSE(cs.check(other.prove()).ok());
  c::BmmShape bad = cs.s;
  bad.b = PaddedShape({2, 4, 3});
  REQUIRE_FALSE(bad.check().ok());
  zks::util::ByteWriter w;
  p.write(w);
  auto bytes = w.take();
  zks::util::ByteReader r(bytes);
  auto back = c::BmmProof::read(r, cs.s);
  REQUIRE(back.ok());
  REQUIRE(r.at_end());
  REQUIRE(cs.check(*back).ok());
  zks::util::ByteReader tr(std::span<const uint8_t>(bytes.data(), bytes.size() - 1));
  REQUIRE_FALSE(c::BmmProof::read(tr, cs.s).ok());
}
