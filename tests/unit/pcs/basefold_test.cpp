#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <thread>

#include "pcs/basefold.hpp"
#include "pcs/proof.hpp"
#include "pcs_test_util.hpp"

using namespace pcs_test;
namespace pcs = zks::pcs;

namespace {

// Commit, open `claims_per_poly` random claims, verify; returns the proof size.
size_t roundtrip_single(unsigned n, size_t num_claims, uint64_t seed, const pcs::Params& params) {
  std::mt19937_64 rng(seed);
  auto table = random_table(size_t(1) << n, rng);
  auto committed = pcs::commit(table, params);
  REQUIRE(committed.ok());
  std::vector<pcs::Claim> claims;
  for (size_t i = 0; i < num_claims; ++i) claims.push_back(honest_claim(*committed, 0, rng));
  auto tp = fresh_transcript();
  auto proof = pcs::open(*committed, claims, tp, params);
  REQUIRE(proof.ok());
  auto tv = fresh_transcript();
  auto st = pcs::verify(committed->commitment(), claims, *proof, tv, params);
  INFO("n = " << n << ": " << st.error());
  REQUIRE(st.ok());
  CHECK(tp.state() == tv.state());  // both sides end in the same transcript state
  return proof->size();
}

}  // namespace

TEST_CASE("completeness for 2^1..2^18 at random points", "[pcs]") {
  auto params = pcs::Params::standard();
  for (unsigned n = 0; n <= 18; ++n) {
    size_t bytes = roundtrip_single(n, 1, 100 + n, params);
    INFO("n = " << n << " proof bytes " << bytes);
    CHECK(bytes > 0);
  }
}

TEST_CASE("completeness for every arity and for tables that are not a power of two", "[pcs]") {
  for (unsigned a = 1; a <= 4; ++a) {
    auto params = pcs::Params::with_queries_for(a, 8);
    REQUIRE(params.validate().ok());
    for (unsigned n : {1u, 8u, 9u, 10u, 11u, 13u, 15u}) roundtrip_single(n, 2, 7 * a + n, params);
  }
  auto params = pcs::Params::standard();
  std::mt19937_64 rng(5);
  auto table = random_table(1000, rng);  // padded to 1024 with zeros
  auto committed = pcs::commit(table, params);
  REQUIRE(committed.ok());
  CHECK(committed->num_vars() == 10);
  auto claim = honest_claim(*committed, 0, rng);
  auto tp = fresh_transcript();
  auto proof = pcs::open(*committed, std::span(&claim, 1), tp, params);
  REQUIRE(proof.ok());
  auto tv = fresh_transcript();
  CHECK(pcs::verify(committed->commitment(), std::span(&claim, 1), *proof, tv, params).ok());
}

TEST_CASE("completeness at 2^20", "[pcs]") { roundtrip_single(20, 2, 20, pcs::Params::standard()); }

TEST_CASE("completeness at 2^20 and 2^22", "[pcs][.heavy]") {
  roundtrip_single(20, 3, 21, pcs::Params::standard());
  roundtrip_single(22, 1, 22, pcs::Params::standard());
}

TEST_CASE("batch openings of 1..16 claims on one polynomial", "[pcs]") {
  auto params = pcs::Params::standard();
  for (size_t k = 1; k <= 16; ++k) roundtrip_single(k % 2 ? 12 : 6, k, 300 + k, params);
}

TEST_CASE("commitments are deterministic and depend on the data", "[pcs]") {
  auto params = pcs::Params::standard();
  std::mt19937_64 rng(9);
  auto table = random_table(1 << 12, rng);
  auto a = pcs::commit(table, params), b = pcs::commit(table, params);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->commitment() == b->commitment());
  table[77] += Fp::one();
  auto c = pcs::commit(table, params);
  CHECK(c->commitment().root != a->commitment().root);
  // Serialization of the commitment.
  zks::util::ByteWriter w;
  a->commitment().write(w);
  zks::util::ByteReader r(w.bytes());
  auto back = pcs::Commitment::read(r, params);
  REQUIRE(back.ok());
  CHECK(*back == a->commitment());
}

TEST_CASE("several polynomials of different sizes opened together", "[pcs]") {
  auto params = pcs::Params::standard();
  std::mt19937_64 rng(11);
  // Sizes repeat and include in-clear sizes. With 2^14 the largest (folds in steps of
  // 3 and 3), 2^12 joins inside the first layer, 2^11 as it ends, 2^9 inside the second.
  std::vector<unsigned> sizes = {14, 12, 14, 5, 9, 12, 14, 0, 5, 11};
  std::vector<pcs::CommittedPoly> polys;
  for (unsigned n : sizes) {
    auto c = pcs::commit(random_table(size_t(1) << n, rng), params);
    REQUIRE(c.ok());
    polys.push_back(std::move(*c));
  }
  std::vector<const pcs::CommittedPoly*> ptrs;
  std::vector<pcs::Commitment> comms;
  for (auto& p : polys) ptrs.push_back(&p), comms.push_back(p.commitment());
  std::vector<pcs::Claim> claims;
  for (size_t j = 0; j < polys.size(); ++j)
    for (size_t k = 0; k <= j % 3; ++k) claims.push_back(honest_claim(polys[j], j, rng));
  // Two polynomials of the same size claimed at one shared point.
  auto shared = random_point(14, rng);
  claims.push_back({0, shared, polys[0].evaluate(shared)});
  claims.push_back({2, shared, polys[2].evaluate(shared)});

  auto tp = fresh_transcript();
  auto proof = pcs::open_batch(ptrs, claims, tp, params);
  REQUIRE(proof.ok());
  auto tv = fresh_transcript();
  auto st = pcs::verify_batch(comms, claims, *proof, tv, params);
  INFO(st.error());
  REQUIRE(st.ok());
  CHECK(tp.state() == tv.state());

  SECTION("a false claim on any member is rejected") {
    for (size_t i : {size_t(0), size_t(3), claims.size() - 1}) {
      auto bad = claims;
      bad[i].value += Fp2::one();
      auto t2 = fresh_transcript();
      auto p2 = pcs::open_batch(ptrs, bad, t2, params);
      REQUIRE(p2.ok());
      auto t3 = fresh_transcript();
      CHECK_FALSE(pcs::verify_batch(comms, bad, *p2, t3, params).ok());
    }
  }
  SECTION("the proof does not verify against swapped commitments") {
    auto swapped = comms;
    std::swap(swapped[0], swapped[2]);
    auto t3 = fresh_transcript();
    CHECK_FALSE(pcs::verify_batch(swapped, claims, *proof, t3, params).ok());
  }
}

TEST_CASE("a transcript that differs before the opening is rejected", "[pcs]") {
  auto params = pcs::Params::standard();
  std::mt19937_64 rng(12);
  auto committed = pcs::commit(random_table(1 << 12, rng), params);
  auto claim = honest_claim(*committed, 0, rng);
  auto tp = fresh_transcript();
  auto proof = pcs::open(*committed, std::span(&claim, 1), tp, params);
  zks::transcript::Transcript other("pcs-test");
  other.absorb_u64("statement", 43);
  CHECK_FALSE(pcs::verify(committed->commitment(), std::span(&claim, 1), *proof, other, params).ok());
}

TEST_CASE("bad arguments are errors, not crashes", "[pcs]") {
  auto params = pcs::Params::standard();
  std::mt19937_64 rng(13);
  CHECK_FALSE(pcs::commit(std::vector<Fp>{}, params).ok());
  auto committed = pcs::commit(random_table(1 << 10, rng), params);
  auto tp = fresh_transcript();
  CHECK_FALSE(pcs::open(*committed, {}, tp, params).ok());
  pcs::Claim wrong_dim{0, random_point(9, rng), Fp2::zero()};
  CHECK_FALSE(pcs::open(*committed, std::span(&wrong_dim, 1), tp, params).ok());
  pcs::Claim wrong_poly{3, random_point(10, rng), Fp2::zero()};
  CHECK_FALSE(pcs::open(*committed, std::span(&wrong_poly, 1), tp, params).ok());
  auto tv = fresh_transcript();
  CHECK_FALSE(pcs::verify(committed->commitment(), std::span(&wrong_dim, 1),
                          std::vector<uint8_t>{}, tv, params).ok());
}

TEST_CASE("commit_cached returns commit()'s commitment, once per content and parameters", "[pcs]") {
  auto params = pcs::Params::standard();
  pcs::set_commit_cache_capacity(pcs::kCommitCacheBytes);
  std::mt19937_64 rng(77);
  auto a = random_table(1 << 10, rng), b = a;
  b[517] += Fp(1);  // one value differs
  const auto before = pcs::commit_cache_stats();
  auto ca = pcs::commit_cached(a, params);
  REQUIRE(ca.ok());
  auto fresh = pcs::commit(a, params);
  REQUIRE(fresh.ok());
  CHECK((*ca)->commitment() == fresh->commitment());
  auto again = pcs::commit_cached(a, params);
  REQUIRE(again.ok());
  CHECK(again->get() == ca->get());  // the same object: a hit
  auto cb = pcs::commit_cached(b, params);
  REQUIRE(cb.ok());
  CHECK(cb->get() != ca->get());
  CHECK(!((*cb)->commitment() == (*ca)->commitment()));
  auto other_params = params;
  other_params.num_queries += 1;
  auto cp = pcs::commit_cached(a, other_params);
  REQUIRE(cp.ok());
  CHECK(cp->get() != ca->get());  // other parameters: another entry
  const auto after = pcs::commit_cache_stats();
  CHECK(after.hits - before.hits == 1);
  CHECK(after.misses - before.misses == 3);
  // A cached commitment opens and verifies like a fresh one.
  std::vector<pcs::Claim> claims{honest_claim(**ca, 0, rng)};
  auto tp = fresh_transcript();
  auto proof = pcs::open(**ca, claims, tp, params);
  REQUIRE(proof.ok());
  auto tv = fresh_transcript();
  CHECK(pcs::verify((*ca)->commitment(), claims, *proof, tv, params).ok());

  // A small capacity keeps the most recent entries only; 0 keeps none.
  pcs::set_commit_cache_capacity(1);
  CHECK(pcs::commit_cache_stats().entries == 0);
  CHECK(pcs::commit_cache_stats().bytes == 0);
  auto uncached = pcs::commit_cached(a, params);
  REQUIRE(uncached.ok());
  CHECK((*uncached)->commitment() == fresh->commitment());
  CHECK(pcs::commit_cache_stats().entries == 0);
  pcs::set_commit_cache_capacity(pcs::kCommitCacheBytes);
  REQUIRE(pcs::commit_cached(a, params).ok());
  REQUIRE(pcs::commit_cached(b, params).ok());
  const size_t two = pcs::commit_cache_stats().bytes;
  pcs::set_commit_cache_capacity(two / 2 + 1);  // room for one of the two: the older goes
  CHECK(pcs::commit_cache_stats().entries == 1);
  const auto h = pcs::commit_cache_stats().hits;
  REQUIRE(pcs::commit_cached(b, params).ok());
  CHECK(pcs::commit_cache_stats().hits == h + 1);

  // The commitment alone: a full entry's when there is one, else remembered on its own.
  auto root_b = pcs::commitment_cached(b, params);
  REQUIRE(root_b.ok());
  CHECK(*root_b == (*cb)->commitment());
  CHECK(pcs::commit_cache_stats().hits == h + 2);
  auto c = random_table(1 << 9, rng);
  const size_t bytes = pcs::commit_cache_stats().bytes;
  auto root_c = pcs::commitment_cached(c, params);
  REQUIRE(root_c.ok());
  CHECK(*root_c == pcs::commit(c, params)->commitment());
  CHECK(pcs::commit_cache_stats().bytes == bytes);  // no codeword kept for it
  auto again_c = pcs::commitment_cached(c, params);
  REQUIRE(again_c.ok());
  CHECK(*again_c == *root_c);
  CHECK(pcs::commit_cache_stats().hits == h + 3);
  pcs::set_commit_cache_capacity(pcs::kCommitCacheBytes);
}

TEST_CASE("commit_cached commits a polynomial once when jobs ask for it at the same time", "[pcs]") {
  auto params = pcs::Params::standard();
  pcs::set_commit_cache_capacity(pcs::kCommitCacheBytes);
  std::mt19937_64 rng(78);
  auto v = random_table(1 << 14, rng);
  const auto before = pcs::commit_cache_stats();
  constexpr size_t kJobs = 6;
  std::vector<std::shared_ptr<const pcs::CommittedPoly>> got(kJobs);
  std::vector<std::thread> jobs;
  for (size_t i = 0; i < kJobs; ++i)
    jobs.emplace_back([&, i] {
      auto c = pcs::commit_cached(v, params);
      if (c.ok()) got[i] = *c;
    });
  for (auto& j : jobs) j.join();
  for (const auto& g : got) {
    REQUIRE(g != nullptr);
    CHECK(g.get() == got[0].get());
  }
  const auto after = pcs::commit_cache_stats();
  CHECK(after.misses - before.misses == 1);
  CHECK(after.hits - before.hits == kJobs - 1);
  CHECK(got[0]->commitment() == pcs::commit(v, params)->commitment());
}

TEST_CASE("openings_to_reveal: how many openings disclose a committed table", "[pcs][exposure]") {
  const auto params = pcs::Params::standard();
  // Sent in clear: one opening discloses it.
  CHECK(pcs::openings_to_reveal({{}, params.final_log}, params) == 1.0);
  CHECK(pcs::openings_to_reveal({{}, 3}, params) == 1.0);
  // 2^16, leaves of 16: a quarter of 2^14 leaves, 2^14 ln(4/3) draws, 138 a proof.
  CHECK(pcs::openings_to_reveal({{}, 16}, params) == Approx(16384 * std::log(4.0 / 3.0) / 138).epsilon(0.01));
  CHECK(pcs::openings_to_reveal({{}, 18}, params) > pcs::openings_to_reveal({{}, 16}, params));
  // 2^9: leaves of 2, but joining a larger run a query reads up to 8 positions: one
  // opening's 138 queries of 8 cover a quarter of its 2^11 entries (never below 1).
  CHECK(pcs::openings_to_reveal({{}, 9}, params) == 1.0);

  // Against real openings: count the distinct leaves of a 2^14 commitment that openings
  // under fresh transcripts reveal, until they hold 2^14 distinct codeword entries (the
  // code is MDS: that many determine the table). The count lands near the estimate.
  const unsigned n = 14;
  std::mt19937_64 rng(77);
  auto committed = pcs::commit(random_table(size_t(1) << n, rng), params);
  REQUIRE(committed.ok());
  const double estimate = pcs::openings_to_reveal(committed->commitment(), params);
  std::set<std::vector<uint64_t>> leaves;
  size_t width = 0, openings = 0;
  while (width == 0 || leaves.size() * width < (size_t(1) << n)) {
    REQUIRE(openings < 3 * estimate);  // bounded: the loop stops by itself
    std::vector<pcs::Claim> claims{honest_claim(*committed, 0, rng)};
    zks::transcript::Transcript t("pcs-test");
    t.absorb_u64("statement", openings++);
    auto proof = pcs::open(*committed, claims, t, params);
    REQUIRE(proof.ok());
    auto decoded = pcs::detail::OpeningProof::from_bytes(*proof, params);
    REQUIRE(decoded.ok());
    REQUIRE(decoded->groups.size() == 1);
    const auto& opened = decoded->groups[0].base_leaves.at(0);
    width = size_t(1) << 3;  // a leaf is the first folding step's coset: 2^3 at 2^14 (steps 3, 3)
    REQUIRE(opened.size() % width == 0);
    for (size_t i = 0; i < opened.size(); i += width) {
      std::vector<uint64_t> leaf;
      for (size_t u = 0; u < width; ++u) leaf.push_back(opened[i + u].value());
      leaves.insert(leaf);
    }
  }
  INFO("estimate " << estimate << " openings, measured " << openings);
  CHECK(double(openings) >= 0.8 * estimate);
  CHECK(double(openings) <= 1.2 * estimate + 1);
}
