// Weighted claims (pcs::Claim::weights): "sum_x f(x) eq(point, x_low) w(x_high) = v",
// opened in the same batch as evaluation claims, plain and hiding. Completeness at
// sizes in clear, folded and joining; agreement with evaluation claims where the weights
// are an eq table; tampering; and shapes refused by name.

#include <catch2/catch.hpp>

#include "pcs/hiding.hpp"
#include "pcs_test_util.hpp"
#include "poly/mle.hpp"

using namespace pcs_test;
namespace pcs = zks::pcs;

namespace {

std::vector<Fp2> random_weights(size_t n, std::mt19937_64& rng) {
  std::vector<Fp2> w(n);
  for (auto& x : w) x = Fp2(Fp(rng()), Fp(rng()));
  return w;
}

// sum_x table(x) eq(point, x_low) w(x_high), written out term by term (independent of
// pcs::claim_value).
Fp2 weighted_sum(std::span<const Fp> table, std::span<const Fp2> point, std::span<const Fp2> w) {
  const auto e = zks::poly::eq_table(point);
  Fp2 sum = Fp2::zero();
  for (size_t x = 0; x < table.size(); ++x) sum += e[x % e.size()] * w[x / e.size()] * Fp2(table[x]);
  return sum;
}

pcs::Claim weighted_claim(size_t poly, std::span<const Fp> table, unsigned n, unsigned low, std::mt19937_64& rng) {
  pcs::Claim c{poly, random_point(low, rng), Fp2::zero(), random_weights(size_t(1) << (n - low), rng)};
  c.value = weighted_sum(table, c.point, c.weights);
  return c;
}

struct Batch {
  pcs::Params params = pcs::Params::standard();
  std::vector<pcs::CommittedPoly> polys;
  std::vector<pcs::Commitment> comms;
  std::vector<pcs::Claim> claims;
  zks::util::Bytes proof;

  // Tables of 2^n_j entries; on each an evaluation claim and weighted claims with
  // 0 and n_j / 2 point coordinates.
  Batch(std::vector<unsigned> sizes, uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (size_t j = 0; j < sizes.size(); ++j) {
      const auto table = random_table(size_t(1) << sizes[j], rng);
      auto c = pcs::commit(table, params);
      REQUIRE(c.ok());
      polys.push_back(std::move(*c));
      comms.push_back(polys.back().commitment());
      claims.push_back(honest_claim(polys.back(), j, rng));
      claims.push_back(weighted_claim(j, table, sizes[j], 0, rng));
      claims.push_back(weighted_claim(j, table, sizes[j], sizes[j] / 2, rng));
    }
    std::vector<const pcs::CommittedPoly*> ptrs;
    for (auto& p : polys) ptrs.push_back(&p);
    auto t = fresh_transcript();
    auto pr = pcs::open_batch(ptrs, claims, t, params);
    REQUIRE(pr.ok());
    proof = std::move(*pr);
    auto tv = fresh_transcript();
    auto st = pcs::verify_batch(comms, claims, proof, tv, params);
    INFO(st.error());
    REQUIRE(st.ok());
    CHECK(tv.state() == t.state());
  }

  zks::Status verify(std::span<const pcs::Claim> cl, std::span<const uint8_t> bytes) const {
    auto t = fresh_transcript();
    return pcs::verify_batch(comms, cl, bytes, t, params);
  }
};

}  // namespace

TEST_CASE("claim_value: evaluations, inner products and partial weights", "[pcs][weighted]") {
  std::mt19937_64 rng(1);
  const auto table = random_table(64, rng);
  const auto z = random_point(6, rng);
  // weights = eq(z_high, .) makes a weighted claim the evaluation at z.
  const auto eq_high = zks::poly::eq_table(std::span<const Fp2>(z).subspan(2));
  const Fp2 at_z = zks::poly::evaluate(std::span<const Fp>(table), z);
  CHECK(pcs::claim_value(table, {0, z, Fp2::zero(), {}}) == at_z);
  CHECK(pcs::claim_value(table, {0, {z[0], z[1]}, Fp2::zero(), eq_high}) == at_z);
  const auto w = random_weights(64, rng);
  CHECK(pcs::claim_value(table, {0, {}, Fp2::zero(), w}) == weighted_sum(table, {}, w));
  // A shorter table is zero-padded.
  const auto short_table = std::span<const Fp>(table).first(40);
  std::vector<Fp> padded(table.begin(), table.begin() + 40);
  padded.resize(64, Fp::zero());
  CHECK(pcs::claim_value(short_table, {0, {}, Fp2::zero(), w}) == weighted_sum(padded, {}, w));
}

TEST_CASE("weighted claims open with evaluation claims, in clear, folded and joining", "[pcs][weighted]") {
  Batch clear({4, 8}, 2);
  Batch one({12}, 3);
  Batch joined({14, 11, 9, 5}, 4);
  // Weights that are an eq table give the evaluation's value, and verify as a weighted
  // claim beside it.
  std::mt19937_64 rng(5);
  const auto z = random_point(14, rng);
  pcs::Claim eval{0, z, joined.polys[0].evaluate(z), {}};
  pcs::Claim as_weights{0, {z.begin(), z.begin() + 3}, eval.value,
                        zks::poly::eq_table(std::span<const Fp2>(z).subspan(3))};
  const pcs::CommittedPoly* p0 = &joined.polys[0];
  std::vector<pcs::Claim> both = {eval, as_weights};
  auto t = fresh_transcript();
  auto proof = pcs::open_batch(std::span(&p0, 1), both, t, joined.params);
  REQUIRE(proof.ok());
  auto tv = fresh_transcript();
  CHECK(pcs::verify_batch(std::span(&joined.comms[0], 1), both, *proof, tv, joined.params).ok());
}

TEST_CASE("a changed weighted claim or proof is rejected", "[pcs][weighted][tamper]") {
  Batch b({13, 10, 6}, 6);
  SECTION("a claimed value") {
    for (size_t i : {size_t(1), size_t(2), size_t(5), size_t(8)}) {
      auto cl = b.claims;
      cl[i].value += Fp2::one();
      INFO("claim " << i);
      CHECK_FALSE(b.verify(cl, b.proof).ok());
    }
  }
  SECTION("one weight, or the point in front of the weights") {
    for (size_t i : {size_t(1), size_t(2), size_t(4), size_t(7), size_t(8)}) {
      auto cl = b.claims;
      cl[i].weights[cl[i].weights.size() / 3] += Fp2::one();
      INFO("claim " << i);
      CHECK_FALSE(b.verify(cl, b.proof).ok());
    }
    auto cl = b.claims;
    cl[2].point[0] += Fp2::one();
    CHECK_FALSE(b.verify(cl, b.proof).ok());
  }
  SECTION("a weighted claim read as an evaluation claim") {
    std::mt19937_64 rng(7);
    auto cl = b.claims;
    cl[1].point = random_point(13, rng);
    cl[1].weights.clear();
    CHECK_FALSE(b.verify(cl, b.proof).ok());
  }
  SECTION("a byte of the proof") {
    for (size_t at : {size_t(40), b.proof.size() / 3, b.proof.size() / 2, b.proof.size() - 3}) {
      auto bad = b.proof;
      bad[at] ^= 4;
      INFO("byte " << at);
      CHECK_FALSE(b.verify(b.claims, bad).ok());
    }
  }
  SECTION("weights that do not cover the table are refused by name") {
    auto cl = b.claims;
    cl[1].weights.pop_back();
    auto st = b.verify(cl, b.proof);
    REQUIRE_FALSE(st.ok());
    CHECK_THAT(st.error(), Catch::Contains("weighted claim 1"));
    cl = b.claims;
    cl[2].point.push_back(Fp2::one());
    st = b.verify(cl, b.proof);
    REQUIRE_FALSE(st.ok());
    CHECK_THAT(st.error(), Catch::Contains("must cover"));
  }
}

TEST_CASE("hiding openings of weighted claims", "[pcs][weighted][hiding]") {
  const auto params = pcs::Params::standard();
  std::mt19937_64 rng(8);
  std::vector<pcs::CommittedPoly> polys;
  std::vector<pcs::Claim> claims;
  size_t j = 0;
  for (size_t count : {size_t(5000), size_t(40000)}) {
    auto values = random_table(count, rng);
    pcs::Seed seed{};
    seed.fill(uint8_t(j + 1));
    auto c = pcs::commit_hiding(values, seed, params);
    REQUIRE(c.ok());
    polys.push_back(std::move(*c));
    const unsigned n = pcs::hiding_value_vars(count);
    values.resize(size_t(1) << n, Fp::zero());
    claims.push_back(weighted_claim(j, values, n, 0, rng));
    claims.push_back(weighted_claim(j, values, n, 4, rng));
    pcs::Claim e{j, random_point(n, rng), Fp2::zero(), {}};
    e.value = zks::poly::evaluate(std::span<const Fp>(values), e.point);
    claims.push_back(std::move(e));
    ++j;
  }
  std::vector<const pcs::CommittedPoly*> ptrs = {&polys[0], &polys[1]};
  pcs::Seed seed{};
  seed.fill(0x77);
  const HidingOpening opening(ptrs, claims, seed, params);
  const auto* proof = &opening.proof;
  auto verify = [&](std::span<const pcs::Claim> cl, std::span<const uint8_t> bytes) { return opening.verify(cl, bytes); };
  auto cl = claims;
  cl[0].value += Fp2::one();
  CHECK_FALSE(verify(cl, *proof).ok());
  cl = claims;
  cl[4].weights[17] += Fp2::one();
  CHECK_FALSE(verify(cl, *proof).ok());
  // Covering the committed table (the mask's half too, as merged masked claims do): a
  // zero mask half is the same statement; a weight on the mask's half without its value
  // is a false one; weights past the table are refused.
  cl = claims;
  cl[3].weights.resize(cl[3].weights.size() * 2, Fp2::zero());
  CHECK(verify(cl, *proof).ok());
  cl[3].weights.back() += Fp2::one();
  CHECK_FALSE(verify(cl, *proof).ok());
  cl = claims;
  cl[3].weights.resize(cl[3].weights.size() * 4, Fp2::zero());
  auto refused = verify(cl, *proof);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error(), Catch::Contains("value table"));
  // h's value for a weighted claim (the header's first) changed.
  auto bad = *proof;
  bad[40] ^= 1;
  CHECK_FALSE(verify(claims, bad).ok());
}

TEST_CASE("weighted claims on one polynomial combine into one", "[pcs][weighted]") {
  const auto params = pcs::Params::standard();
  std::mt19937_64 rng(9);
  const auto table = random_table(size_t(1) << 12, rng);
  auto c = pcs::commit(table, params);
  REQUIRE(c.ok());
  std::vector<pcs::Claim> parts;
  for (int i = 0; i < 5; ++i) parts.push_back(weighted_claim(0, table, 12, 0, rng));
  const Fp2 lambda{Fp(rng()), Fp(rng())};
  auto one = pcs::combine_weighted(parts, lambda);
  REQUIRE(one.ok());
  CHECK(one->value == pcs::claim_value(table, *one));
  auto open_and_verify = [&](const pcs::Claim& claim) {
    auto t = fresh_transcript();
    auto proof = pcs::open(*c, std::span(&claim, 1), t, params);
    REQUIRE(proof.ok());
    auto tv = fresh_transcript();
    return pcs::verify(c->commitment(), std::span(&claim, 1), *proof, tv, params);
  };
  CHECK(open_and_verify(*one).ok());
  // One false part makes the combination false.
  parts[3].value += Fp2::one();
  auto bad = pcs::combine_weighted(parts, lambda);
  REQUIRE(bad.ok());
  CHECK(bad->value != pcs::claim_value(table, *bad));
  CHECK_FALSE(open_and_verify(*bad).ok());
  // Claims that cannot be combined are refused by name.
  parts[2].point = {Fp2::one()};
  parts[2].weights.resize(parts[2].weights.size() / 2);
  auto refused = pcs::combine_weighted(parts, lambda);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error(), Catch::Contains("weighted claim 2"));
  CHECK_FALSE(pcs::combine_weighted({}, lambda).ok());
}
