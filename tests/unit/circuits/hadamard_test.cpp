// Entry-wise products: completeness and tamper tests.
#include <catch2/catch.hpp>
#include <random>

#include "circuits/gadgets/hadamard.hpp"
#include "poly/mle.hpp"
#include "unit/support.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::test::rand2;
using zks::transcript::Transcript;
namespace c = zks::circuits;

TEST_CASE("hadamard products reduce a claim to claims on both factors", "[circuits]") {
  std::mt19937_64 rng(3);
  for (unsigned k : {0u, 1u, 5u, 10u}) {
    CAPTURE(k);
    std::vector<Fp> a(size_t(1) << k), b(a.size());
    for (auto& v : a) v = Fp::from_i64(int64_t(rng() % 65536) - 32768);
    for (auto& v : b) v = Fp::from_i64(int64_t(rng() % 65536) - 32768);
    auto z = c::hadamard(a, b);
    c::EvalClaim claim;
    for (unsigned i = 0; i < k; ++i) claim.point.push_back(rand2(rng));
    claim.value = zks::poly::evaluate(z, claim.point);
    Transcript tp("hadamard-test");
    auto proof = c::prove_hadamard(a, b, claim, tp, nullptr);
    auto check = [&](const c::EvalClaim& cl, const c::HadamardProof& p) {
      Transcript tv("hadamard-test");
      auto r = c::verify_hadamard(k, cl, p, tv);
      return r.ok() && zks::poly::evaluate(a, r->a.point) == r->a.value &&
             zks::poly::evaluate(b, r->b.point) == r->b.value;
    };
    REQUIRE(check(claim, proof));
    auto wrong = claim;
    wrong.value += Fp2::one();
    REQUIRE_FALSE(check(wrong, proof));
    auto bad = proof;
    bad.a_eval += Fp2::one();
    REQUIRE_FALSE(check(claim, bad));
    if (k > 0) {
      bad = proof;
      bad.sumcheck.rounds[0][1] += Fp2::one();
      REQUIRE_FALSE(check(claim, bad));
      // One product entry off by one cannot be proved.
      auto b2 = b;
      b2[1] += Fp::one();
      Transcript tf("hadamard-test");
      REQUIRE_FALSE(check(claim, c::prove_hadamard(a, b2, claim, tf, nullptr)));
    }
  }
}
