// Thaler's matmul sumcheck with bias: completeness and tamper tests.
#include <catch2/catch.hpp>
#include <random>

#include "unit/support.hpp"

#include "circuits/gadgets/matmul.hpp"
#include "poly/mle.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::transcript::Transcript;
namespace c = zks::circuits;

namespace {
using zks::test::rand2;

// Small signed integers, as a quantized layer has.
std::vector<Fp> random_matrix(std::mt19937_64& rng, const c::MatShape& s) {
  std::vector<Fp> dense(size_t(s.rows) * s.cols);
  for (auto& x : dense) x = Fp::from_i64(int64_t(rng() % 255) - 127);
  return c::pad_matrix(dense, s);
}

struct Case {
  c::MatmulShape shape;
  std::vector<Fp> a, b, bias, y;
  c::EvalClaim y_claim;

  Case(uint32_t m, uint32_t k, uint32_t n, bool with_bias, uint64_t seed) {
    std::mt19937_64 rng(seed);
    shape = {{m, k}, {k, n}, with_bias};
    a = random_matrix(rng, shape.a);
    b = random_matrix(rng, shape.b);
    if (with_bias) {
      bias.assign(size_t(1) << shape.y().col_bits(), Fp::zero());
      for (uint32_t j = 0; j < n; ++j) bias[j] = Fp::from_i64(int64_t(rng() % 1000) - 500);
    }
    y = c::matmul(shape, a, b, bias);
    unsigned vars = shape.y().row_bits() + shape.y().col_bits();
    for (unsigned i = 0; i < vars; ++i) y_claim.point.push_back(rand2(rng));
    y_claim.value = zks::poly::evaluate(y, y_claim.point);
  }

  // Verifies and checks the output claims against the matrices themselves.
  zks::Status check(const c::EvalClaim& claim, const c::MatmulProof& proof) const {
    Transcript t("matmul-test");
    auto claims = c::verify_matmul(shape, claim, proof, t);
    if (!claims.ok()) return zks::make_error(claims.error());
    if (claims->a.value != zks::poly::evaluate(a, claims->a.point)) return zks::make_error("A claim false");
    if (claims->b.value != zks::poly::evaluate(b, claims->b.point)) return zks::make_error("B claim false");
    if (shape.has_bias && claims->bias->value != zks::poly::evaluate(bias, claims->bias->point))
      return zks::make_error("bias claim false");
    return {};
  }
};
}  // namespace

TEST_CASE("matmul executor pads each axis and keeps padded rows zero", "[circuits]") {
  Case cs(3, 5, 6, true, 1);
  size_t ycols = 8;
  for (size_t i = 0; i < 4; ++i)
    for (size_t j = 0; j < ycols; ++j)
      if (i >= 3 || j >= 6) REQUIRE(cs.y[i * ycols + j] == Fp::zero());
  // Entry (1, 2) by hand.
  Fp acc = cs.bias[2];
  for (size_t k = 0; k < 5; ++k) acc += cs.a[1 * 8 + k] * cs.b[k * 8 + 2];
  REQUIRE(cs.y[1 * ycols + 2] == acc);
}

TEST_CASE("matmul sumcheck is complete for odd and power-of-two shapes", "[circuits]") {
  for (auto [m, k, n] : std::vector<std::tuple<uint32_t, uint32_t, uint32_t>>{
           {1, 1, 1}, {1, 7, 1}, {4, 4, 4}, {3, 5, 6}, {10, 1, 3}, {16, 100, 10}, {1, 784, 32}}) {
    for (bool with_bias : {false, true}) {
      CAPTURE(m, k, n, with_bias);
      Case cs(m, k, n, with_bias, m * 1000 + k * 10 + n);
      Transcript t("matmul-test");
      auto out = c::prove_matmul(cs.shape, cs.a, cs.b, cs.bias, cs.y_claim, t);
      REQUIRE(cs.check(cs.y_claim, out.proof).ok());
      Transcript tv("matmul-test");
      auto claims = c::verify_matmul(cs.shape, cs.y_claim, out.proof, tv);
      REQUIRE(claims.ok());
      REQUIRE(claims->a.point == out.claims.a.point);
      REQUIRE(claims->b.point == out.claims.b.point);
      REQUIRE(tv.state() == t.state());
    }
  }
}

TEST_CASE("matmul rejects a false output claim and every tampered field", "[circuits]") {
  Case cs(5, 12, 7, true, 42);
  Transcript t("matmul-test");
  auto out = c::prove_matmul(cs.shape, cs.a, cs.b, cs.bias, cs.y_claim, t);
  REQUIRE(cs.check(cs.y_claim, out.proof).ok());
  const Fp2 one = Fp2::one();

  auto wrong = cs.y_claim;
  wrong.value += one;
  REQUIRE_FALSE(cs.check(wrong, out.proof).ok());
  // A prover that proves the false claim honestly still fails.
  Transcript tf("matmul-test");
  auto forged = c::prove_matmul(cs.shape, cs.a, cs.b, cs.bias, wrong, tf);
  REQUIRE_FALSE(cs.check(wrong, forged.proof).ok());

  for (size_t r = 0; r < out.proof.sumcheck.rounds.size(); ++r) {
    auto p = out.proof;
    p.sumcheck.rounds[r].back() += one;
    REQUIRE_FALSE(cs.check(cs.y_claim, p).ok());
  }
  for (Fp2 c::MatmulProof::*field : {&c::MatmulProof::a_eval, &c::MatmulProof::b_eval,
                                     &c::MatmulProof::bias_eval}) {
    auto p = out.proof;
    p.*field += one;
    REQUIRE_FALSE(cs.check(cs.y_claim, p).ok());
  }
  SECTION("a witness off by one (one product entry) is caught") {
    auto b2 = cs.b;
    b2[3 * 8 + 1] += Fp::one();
    Transcript t2("matmul-test");
    auto p2 = c::prove_matmul(cs.shape, cs.a, b2, cs.bias, cs.y_claim, t2);
    // The proof is internally consistent for b2, so the B claim opens wrong on b.
    REQUIRE_FALSE(cs.check(cs.y_claim, p2.proof).ok());
  }
  SECTION("a statement with another shape is rejected") {
    auto s2 = cs.shape;
    s2.a.rows = 4;  // same padding, different selector
    Transcript tv("matmul-test");
    auto claims = c::verify_matmul(s2, cs.y_claim, out.proof, tv);
    REQUIRE_FALSE(claims.ok());
  }
}

TEST_CASE("matmul proofs serialize and refuse malformed bytes", "[circuits]") {
  Case cs(6, 9, 3, true, 7);
  Transcript t("matmul-test");
  auto out = c::prove_matmul(cs.shape, cs.a, cs.b, cs.bias, cs.y_claim, t);
  zks::util::ByteWriter w;
  out.proof.write(w, cs.shape);
  auto bytes = w.take();
  zks::util::ByteReader r(bytes);
  auto back = c::MatmulProof::read(r, cs.shape);
  REQUIRE(back.ok());
  REQUIRE(r.at_end());
  REQUIRE(cs.check(cs.y_claim, *back).ok());
  zks::util::ByteReader tr(std::span<const uint8_t>(bytes.data(), bytes.size() - 3));
  REQUIRE_FALSE(c::MatmulProof::read(tr, cs.shape).ok());
  auto bad_shape = cs.shape;
  bad_shape.b.rows = 8;
  zks::util::ByteReader r2(bytes);
  REQUIRE_THAT(c::MatmulProof::read(r2, bad_shape).error(), Catch::Contains("inner dimensions"));
}
