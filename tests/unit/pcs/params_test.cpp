#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>

#include "pcs/basefold.hpp"
#include "pcs/params.hpp"
#include "pcs_test_util.hpp"
#include "transcript/soundness.hpp"

using namespace pcs_test;
namespace pcs = zks::pcs;

TEST_CASE("the unique-decoding accounting", "[pcs][params]") {
  pcs::Params p = pcs::Params::standard();
  CHECK(p.rate() == 0.25);
  CHECK(p.delta() == 0.375);
  CHECK(std::abs(p.bits_per_query() - 0.678) < 1e-3);
  CHECK(p.security_bits() >= 100.0);
  CHECK(p.validate().ok());
  // Without grinding, about 148 queries are needed at 2^22 (DESIGN.md section 3).
  pcs::Params q = pcs::Params::with_queries_for(3, 0);
  CHECK(q.num_queries >= 148);
  CHECK(q.num_queries <= 152);
  auto e = q.error_terms();
  CHECK(e.folding > 0);
  CHECK(e.batching > 0);
  CHECK(e.sumcheck > 0);
  CHECK(std::abs(-std::log2(e.total()) - q.security_bits()) < 1e-9);
  // One query fewer drops below the floor.
  q.num_queries -= 1;
  CHECK(q.security_bits() < 100.0);
}

TEST_CASE("parameters under 100 bits are refused everywhere", "[pcs][params]") {
  pcs::Params weak = pcs::Params::standard();
  weak.num_queries = 40;
  auto st = weak.validate();
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().find("below the 100-bit floor") != std::string::npos);
  std::mt19937_64 rng(1);
  auto table = random_table(1 << 10, rng);
  auto refused = pcs::commit(table, weak);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().find("100-bit") != std::string::npos);

  auto params = pcs::Params::standard();
  auto committed = pcs::commit(table, params);
  auto claim = honest_claim(*committed, 0, rng);
  auto tp = fresh_transcript();
  CHECK_FALSE(pcs::open(*committed, std::span(&claim, 1), tp, weak).ok());
  auto proof = pcs::open(*committed, std::span(&claim, 1), tp, params);
  auto tv = fresh_transcript();
  CHECK_FALSE(pcs::verify(committed->commitment(), std::span(&claim, 1), *proof, tv, weak).ok());
}

TEST_CASE("params_id covers every parameter", "[pcs][params]") {
  pcs::Params base = pcs::Params::standard();
  auto id = base.params_id();
  CHECK(id == pcs::Params::standard().params_id());
  auto differs = [&](auto mutate) {
    pcs::Params p = base;
    mutate(p);
    return p.params_id() != id;
  };
  CHECK(differs([](pcs::Params& p) { p.log_blowup = 3; }));
  CHECK(differs([](pcs::Params& p) { p.fold_arity_log = 3; }));
  CHECK(differs([](pcs::Params& p) { p.final_log = 6; }));
  CHECK(differs([](pcs::Params& p) { p.num_queries += 1; }));
  CHECK(differs([](pcs::Params& p) { p.grinding_bits += 1; }));
  CHECK(differs([](pcs::Params& p) { p.max_num_vars += 1; }));
}

TEST_CASE("a proof made with other parameters is refused by its header", "[pcs][params]") {
  std::mt19937_64 rng(2);
  auto a = pcs::Params::standard();
  auto b = pcs::Params::with_queries_for(3, 16);
  auto committed = pcs::commit(random_table(1 << 12, rng), a);
  auto claim = honest_claim(*committed, 0, rng);
  auto tp = fresh_transcript();
  auto proof = pcs::open(*committed, std::span(&claim, 1), tp, a);
  auto tv = fresh_transcript();
  auto st = pcs::verify(committed->commitment(), std::span(&claim, 1), *proof, tv, b);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().find("params_id") != std::string::npos);
}

TEST_CASE("standard parameters leave room for a proof's other terms (rule 8)", "[pcs][params]") {
  pcs::Params p = pcs::Params::standard();
  CHECK(p.query_bits() >= pcs::kMinSecurityBits + pcs::kQueryMarginBits);
  pcs::Params fewer = p;
  fewer.num_queries -= 1;
  CHECK(fewer.query_bits() < pcs::kMinSecurityBits + pcs::kQueryMarginBits);
  // The worst group the parameters allow still clears the floor on its own.
  CHECK(p.security_bits() >= pcs::kMinSecurityBits);
  std::vector<unsigned> worst = {p.max_num_vars};
  for (unsigned n = p.max_num_vars; n > p.final_log; --n) worst.push_back(n);
  CHECK(p.error_terms().total() == p.batch_error_terms(worst, pcs::Params::kMaxClaims).total());
}

TEST_CASE("an opening's error terms follow its sizes and points", "[pcs][params]") {
  pcs::Params p = pcs::Params::standard();
  using V = std::vector<unsigned>;
  // In clear only: checked exactly.
  CHECK(p.batch_error_terms(V{p.final_log, 3, 0}, 8).total() == 0);
  auto one = p.batch_error_terms(V{12}, 1);
  auto big = p.batch_error_terms(V{20}, 1);
  auto two = p.batch_error_terms(V{20, 20}, 1);
  auto joined = p.batch_error_terms(V{20, 16, 16, 5}, 1);
  auto points = p.batch_error_terms(V{20}, 9);
  CHECK(one.query == big.query);
  CHECK(one.batching == 0);
  CHECK(big.batching == 0);
  CHECK(one.folding < big.folding);
  CHECK(one.sumcheck < big.sumcheck);
  CHECK(two.batching > big.batching);      // two codewords of 2^22 combined
  CHECK(joined.batching == two.batching);  // joining: the same batch of tiled words
  CHECK(joined.folding == big.folding);     // one folding run whatever joins it
  CHECK(joined.sumcheck > big.sumcheck);    // the claim reduction's late join
  CHECK(points.batching > big.batching);
  CHECK(big.total() < two.total());
}

TEST_CASE("verifying an opening charges the folding run's error to the ledger", "[pcs][params]") {
  std::mt19937_64 rng(3);
  auto params = pcs::Params::standard();
  auto a = pcs::commit(random_table(1 << 14, rng), params);
  auto b = pcs::commit(random_table(1 << 11, rng), params);
  auto c = pcs::commit(random_table(1 << 5, rng), params);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(c.ok());
  std::vector<pcs::Claim> claims = {honest_claim(*a, 0, rng), honest_claim(*a, 0, rng), honest_claim(*b, 1, rng),
                                    honest_claim(*c, 2, rng)};
  const pcs::CommittedPoly* polys[] = {&*a, &*b, &*c};
  auto tp = fresh_transcript();
  auto proof = pcs::open_batch(polys, claims, tp, params);
  REQUIRE(proof.ok());
  const pcs::Commitment comms[] = {a->commitment(), b->commitment(), c->commitment()};
  auto tv = fresh_transcript();
  zks::transcript::SoundnessLedger ledger;
  tv.set_ledger(&ledger);
  REQUIRE(pcs::verify_batch(comms, claims, *proof, tv, params).ok());
  const std::vector<unsigned> folded = {14, 11};  // 2^5 goes in clear
  CHECK(ledger.error(zks::transcript::SoundnessLedger::Check::Pcs) == params.batch_error_terms(folded, 2).total());
  CHECK(ledger.challenges() == tv.field_challenges());
  CHECK(ledger.bits() > pcs::kMinSecurityBits + pcs::kQueryMarginBits - 0.5);
}
