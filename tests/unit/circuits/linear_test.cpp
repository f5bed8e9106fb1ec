// Element-wise linear combinations (Add/Sub with shifts): completeness and tamper tests.
#include <catch2/catch.hpp>
#include <random>

#include "circuits/gadgets/linear.hpp"
#include "poly/mle.hpp"
#include "unit/support.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::test::rand2;
using zks::transcript::Transcript;
namespace c = zks::circuits;

TEST_CASE("linear combinations split one claim into claims on every input", "[circuits]") {
  std::mt19937_64 rng(9);
  c::LinearShape s{{1 << 3, -(1 << 5), 1}, 6};  // 8 a - 32 b + c
  std::vector<std::vector<Fp>> xs(3, std::vector<Fp>(64));
  for (auto& x : xs)
    for (auto& v : x) v = Fp::from_i64(int64_t(rng() % 65536) - 32768);
  std::vector<std::span<const Fp>> spans(xs.begin(), xs.end());
  auto y = c::linear_combination(s, spans);
  REQUIRE(y[5] == Fp(8) * xs[0][5] - Fp(32) * xs[1][5] + xs[2][5]);
  c::EvalClaim claim;
  for (int i = 0; i < 6; ++i) claim.point.push_back(rand2(rng));
  claim.value = zks::poly::evaluate(y, claim.point);
  Transcript tp("linear-test");
  auto proof = c::prove_linear(s, spans, claim, tp);
  Transcript tv("linear-test");
  auto claims = c::verify_linear(s, claim, proof, tv);
  REQUIRE(claims.ok());
  for (size_t i = 0; i < 3; ++i) REQUIRE((*claims)[i].value == zks::poly::evaluate(xs[i], claim.point));

  auto reject = [&](const c::LinearShape& shape, const c::EvalClaim& cl, const c::LinearProof& p) {
    Transcript t("linear-test");
    auto r = c::verify_linear(shape, cl, p, t);
    if (!r.ok()) return true;
    for (size_t i = 0; i < 3; ++i)
      if ((*r)[i].value != zks::poly::evaluate(xs[i], cl.point)) return true;
    return false;
  };
  auto wrong = claim;
  wrong.value += Fp2::one();
  REQUIRE(reject(s, wrong, proof));
  // Moving value between inputs keeps the sum but an input's claim no longer opens.
  auto shifted = proof;
  shifted.input_evals[2] += Fp2(Fp(32));
  shifted.input_evals[1] += Fp2::one();
  REQUIRE(reject(s, claim, shifted));
  auto s2 = s;
  s2.coeffs[1] = -(1 << 4);  // another shift
  REQUIRE(reject(s2, claim, proof));
  zks::util::ByteWriter w;
  proof.write(w);
  zks::util::ByteReader r(std::span<const uint8_t>(w.bytes().data(), w.bytes().size() - 1));
  REQUIRE_FALSE(c::LinearProof::read(r, s).ok());
  REQUIRE_FALSE(c::LinearShape{{}, 3}.check().ok());
}
