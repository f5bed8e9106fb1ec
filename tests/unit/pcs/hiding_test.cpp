// Zero knowledge, stage 1: hiding commitments and zero-knowledge openings
// (pcs/hiding.hpp). Completeness at several sizes, the committed layout (values, then
// the mask), tampering, and what the opening is made of: h fresh per opening and in the
// batch, nothing in clear.

#include <catch2/catch.hpp>

#include "pcs/hiding.hpp"
#include "pcs/proof.hpp"
#include "pcs_test_util.hpp"
#include "poly/mle.hpp"

using namespace pcs_test;
namespace pcs = zks::pcs;
using pcs::detail::OpeningProof;

namespace {

pcs::Seed seed_of(uint8_t b) {
  pcs::Seed s{};
  s.fill(b);
  return s;
}

// The MLE of `values` zero-padded to 2^n, at `point`.
Fp2 value_at(std::span<const Fp> values, unsigned n, std::span<const Fp2> point) {
  std::vector<Fp> t(size_t(1) << n, Fp::zero());
  std::copy(values.begin(), values.end(), t.begin());
  return zks::poly::evaluate(std::span<const Fp>(t), point);
}

struct Fixture {
  pcs::Params params = pcs::Params::standard();
  std::vector<std::vector<Fp>> values;
  std::vector<pcs::CommittedPoly> polys;
  std::vector<pcs::Commitment> comms;
  std::vector<pcs::Claim> claims;
  zks::util::Bytes proof;

  // Tables of the given sizes, `per` claims on each.
  Fixture(std::vector<size_t> sizes, size_t per, uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (size_t j = 0; j < sizes.size(); ++j) {
      values.push_back(random_table(sizes[j], rng));
      auto c = pcs::commit_hiding(values.back(), seed_of(uint8_t(j + 1)), params);
      REQUIRE(c.ok());
      polys.push_back(std::move(*c));
      comms.push_back(polys.back().commitment());
      const unsigned n = pcs::hiding_value_vars(sizes[j]);
      for (size_t k = 0; k < per; ++k) {
        pcs::Claim cl{j, random_point(n, rng), {}};
        cl.value = value_at(values[j], n, cl.point);
        claims.push_back(std::move(cl));
      }
    }
    std::vector<const pcs::CommittedPoly*> ptrs;
    for (auto& p : polys) ptrs.push_back(&p);
    const HidingOpening opening(ptrs, claims, seed_of(0x55), params);
    proof = opening.proof;
  }

  zks::Status verify(std::span<const uint8_t> bytes, std::span<const pcs::Claim> cl) const {
    auto t = fresh_transcript();
    return pcs::verify_hiding(comms, cl, bytes, t, params);
  }
  zks::Status verify(std::span<const uint8_t> bytes) const { return verify(bytes, claims); }

  // The Basefold batch inside the proof (after the header: version, h's root, h's
  // values, one a claim).
  OpeningProof inner() const {
    const size_t header = 4 + 32 + 4 + 16 * claims.size();
    auto p = OpeningProof::from_bytes(std::span<const uint8_t>(proof).subspan(header), params);
    REQUIRE(p.ok());
    return std::move(*p);
  }
};

}  // namespace

TEST_CASE("hiding openings are complete at every size, several tables and claims", "[pcs][hiding]") {
  Fixture one({1}, 1, 1);
  Fixture small({300}, 3, 2);
  Fixture exact({size_t(1) << 13}, 2, 3);
  Fixture mixed({(size_t(1) << 15) + 5, 5000, size_t(1) << 13}, 2, 4);
  CHECK(mixed.polys[0].num_vars() == 17);  // 2^16 values padded, plus the mask variable
  CHECK(mixed.polys[1].num_vars() == pcs::kMinHidingVars + 1);
}

TEST_CASE("a hiding commitment holds the values, then the seed's mask", "[pcs][hiding]") {
  const auto params = pcs::Params::standard();
  std::mt19937_64 rng(9);
  const auto values = random_table(1000, rng);
  auto a = pcs::commit_hiding(values, seed_of(1), params);
  auto b = pcs::commit_hiding(values, seed_of(1), params);
  auto c = pcs::commit_hiding(values, seed_of(2), params);
  REQUIRE((a.ok() && b.ok() && c.ok()));
  // One seed, one root (a boundary tensor's maker and readers share it); another seed,
  // another root for the same values.
  CHECK(a->commitment() == b->commitment());
  CHECK(a->commitment().root != c->commitment().root);
  // The table: 2^13 values (zero-padded), then 2^13 mask values, none of them the
  // padding's zeros.
  const auto table = a->evaluations();
  REQUIRE(table.size() == size_t(1) << 14);
  for (size_t i = 0; i < values.size(); ++i) REQUIRE(table[i] == values[i]);
  for (size_t i = values.size(); i < table.size() / 2; ++i) REQUIRE(table[i] == Fp::zero());
  size_t zeros = 0;
  for (size_t i = table.size() / 2; i < table.size(); ++i) zeros += table[i] == Fp::zero();
  CHECK(zeros == 0);
  // Values that differ in one place commit to another root.
  auto changed = values;
  changed[999] += Fp::one();
  auto d = pcs::commit_hiding(changed, seed_of(1), params);
  REQUIRE(d.ok());
  CHECK(d->commitment().root != a->commitment().root);
}

TEST_CASE("a hiding opening folds a fresh h with the tables and sends nothing in clear", "[pcs][hiding]") {
  Fixture f({4000, 20000}, 2, 5);
  auto p = f.inner();
  REQUIRE(p.groups.size() == 1);  // one folding run; no table goes in clear
  CHECK(p.groups[0].kind == pcs::detail::GroupKind::Fold);
  CHECK(p.groups[0].num_polys == 3);  // both tables and h
  // What one opening reveals of each codeword stays below its mask: at most 2^n entries
  // of a table with 2^n mask values (any 2^n distinct entries of the mask's part are
  // uniform), and below h's 2^(n+1).
  REQUIRE(p.groups[0].base_leaves.size() == 3);
  for (size_t j = 0; j < 3; ++j) {
    const unsigned vars = j < 2 ? f.polys[j].num_vars() : std::max(f.polys[0].num_vars(), f.polys[1].num_vars());
    INFO("codeword " << j << " of 2^" << vars << ": " << p.groups[0].base_leaves[j].size() << " entries opened");
    CHECK(p.groups[0].base_leaves[j].size() <= (size_t(1) << (vars - 1)));
  }
  // Another opening of the same claims under another statement draws another h.
  std::vector<const pcs::CommittedPoly*> ptrs;
  for (auto& q : f.polys) ptrs.push_back(&q);
  zks::transcript::Transcript other("pcs-test");
  other.absorb_u64("statement", 43);
  auto second = pcs::open_hiding(ptrs, f.claims, other, f.params, seed_of(0x55));
  REQUIRE(second.ok());
  CHECK(!std::equal(f.proof.begin() + 4, f.proof.begin() + 36, second->begin() + 4));
  // So does another opening under the same statement of other claims.
  auto fewer = f.claims;
  fewer.pop_back();
  auto t3 = fresh_transcript();
  auto third = pcs::open_hiding(ptrs, fewer, t3, f.params, seed_of(0x55));
  REQUIRE(third.ok());
  CHECK(!std::equal(f.proof.begin() + 4, f.proof.begin() + 36, third->begin() + 4));
  // h is claimed at every claim's point: one value of it a claim in the header.
  uint32_t count = 0;
  for (int k = 0; k < 4; ++k) count |= uint32_t(f.proof[36 + k]) << (8 * k);
  CHECK(count == f.claims.size());
}

TEST_CASE("a hiding opening that was changed is rejected", "[pcs][hiding][tamper]") {
  Fixture f({3000, 9000}, 2, 6);
  SECTION("a byte of the header, of h's root or value, or of the batch") {
    for (size_t at : {size_t(0), size_t(4), size_t(35), size_t(36), size_t(51), size_t(60), f.proof.size() / 2,
                      f.proof.size() - 1}) {
      auto bad = f.proof;
      bad[at] ^= 1;
      INFO("byte " << at);
      CHECK_FALSE(f.verify(bad).ok());
    }
  }
  SECTION("truncated") {
    CHECK_FALSE(f.verify(std::span<const uint8_t>(f.proof).first(40)).ok());
    CHECK_FALSE(f.verify(std::span<const uint8_t>(f.proof).first(f.proof.size() - 8)).ok());
  }
  SECTION("a claimed value, or a claim moved to the other table") {
    auto cl = f.claims;
    cl[1].value += Fp2::one();
    CHECK_FALSE(f.verify(f.proof, cl).ok());
    cl = f.claims;
    cl[0].poly = 1;
    cl[0].point.resize(f.polys[1].num_vars() - 1, Fp2::zero());
    CHECK_FALSE(f.verify(f.proof, cl).ok());
  }
  SECTION("a commitment's root") {
    auto comms = f.comms;
    comms[1].root[0] ^= 1;
    auto t = fresh_transcript();
    CHECK_FALSE(pcs::verify_hiding(comms, f.claims, f.proof, t, f.params).ok());
  }
  SECTION("a commitment too small to be a hiding one, and points of other sizes") {
    auto comms = f.comms;
    comms[0].num_vars = pcs::kMinHidingVars;
    auto t = fresh_transcript();
    auto st = pcs::verify_hiding(comms, f.claims, f.proof, t, f.params);
    REQUIRE_FALSE(st.ok());
    CHECK_THAT(st.error(), Catch::Contains("not a hiding one"));
    // A point of the committed table's size is a claim on it (pcs::masked_claim's):
    // (z, 0) is the statement the proof was made for; (z, 1) another one.
    auto cl = f.claims;
    cl[0].point.push_back(Fp2::zero());
    CHECK(f.verify(f.proof, cl).ok());
    cl[0].point.back() = Fp2::one();
    CHECK_FALSE(f.verify(f.proof, cl).ok());
    cl[0].point.push_back(Fp2::zero());
    auto st2 = f.verify(f.proof, cl);
    REQUIRE_FALSE(st2.ok());
    CHECK_THAT(st2.error(), Catch::Contains("the value table"));
  }
  SECTION("a false claim, proved by a prover that follows the protocol") {
    auto cl = f.claims;
    cl[2].value += Fp2::one();
    std::vector<const pcs::CommittedPoly*> ptrs;
    for (auto& q : f.polys) ptrs.push_back(&q);
    auto t = fresh_transcript();
    auto pr = pcs::open_hiding(ptrs, cl, t, f.params, seed_of(0x55));
    CHECK((!pr.ok() || !f.verify(*pr, cl).ok()));
  }
}

TEST_CASE("joint hiding commitments: one tree for masked stacks, opened together", "[pcs][hiding][joint]") {
  const auto params = pcs::Params::standard();
  std::mt19937_64 rng(12);
  std::vector<std::vector<Fp>> values = {random_table(40000, rng), random_table(9000, rng), random_table(5000, rng)};
  std::vector<std::span<const Fp>> spans(values.begin(), values.end());
  auto members = pcs::commit_joint_hiding(spans, seed_of(4), params);
  REQUIRE(members.ok());
  REQUIRE(members->size() == 3);
  // One root for all, each member a hiding table (values, then a mask), the masks
  // different; one seed, one root.
  auto again = pcs::commit_joint_hiding(spans, seed_of(4), params);
  REQUIRE(again.ok());
  CHECK((*again)[0]->commitment() == (*members)[0]->commitment());
  std::vector<pcs::Commitment> comms;
  std::vector<const pcs::CommittedPoly*> ptrs;
  for (const auto& m : *members) {
    comms.push_back(m->commitment());
    ptrs.push_back(m.get());
    CHECK(m->commitment().root == (*members)[0]->commitment().root);
  }
  CHECK(comms[0].num_vars == 17);
  CHECK(comms[1].num_vars == 15);
  CHECK(comms[2].num_vars == 14);
  const auto half1 = (*members)[1]->evaluations().subspan(size_t(1) << 14);
  const auto half2 = (*members)[2]->evaluations().subspan(size_t(1) << 13);
  CHECK(!std::equal(half2.begin(), half2.end(), half1.begin()));
  // Claims on every member: evaluations, a weighted one and a masked one.
  std::vector<pcs::Claim> claims;
  for (size_t j = 0; j < 3; ++j) {
    const unsigned n = comms[j].num_vars - 1;
    pcs::Claim c{j, random_point(n, rng), {}};
    c.value = value_at(values[j], n, c.point);
    claims.push_back(std::move(c));
  }
  std::vector<Fp> padded = values[2];
  padded.resize(size_t(1) << 13, Fp::zero());
  pcs::Claim w{2, {}, Fp2::zero(), std::vector<Fp2>(size_t(1) << 13)};
  for (auto& x : w.weights) x = Fp2(Fp(rng()), Fp(rng()));
  w.value = pcs::claim_value(padded, w);
  claims.push_back(std::move(w));
  const auto z = random_point(16, rng);
  std::vector<Fp2> full = z;
  const Fp2 c0 = z[0] * (Fp2::one() - z[0]);
  full.push_back(c0 * (Fp2::one() + c0).inverse());
  claims.push_back(*pcs::masked_claim(0, z, (*members)[0]->evaluate(full) * (Fp2::one() + c0)));
  const HidingOpening opening(ptrs, claims, seed_of(5), params);
  // A changed claim, a byte of the opening, or a member left out: rejected.
  auto cl = claims;
  cl[1].value += Fp2::one();
  CHECK_FALSE(opening.verify(cl, opening.proof).ok());
  auto bad = opening.proof;
  bad[bad.size() / 3] ^= 8;
  CHECK_FALSE(opening.verify(claims, bad).ok());
  // A batch without one member of the joint commitment is refused by name.
  std::vector<const pcs::CommittedPoly*> two(ptrs.begin(), ptrs.begin() + 2);
  std::vector<pcs::Claim> first_two(claims.begin(), claims.begin() + 2);
  auto tp = fresh_transcript();
  auto refused = pcs::open_hiding(two, first_two, tp, params, seed_of(5));
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error(), Catch::Contains("missing from the batch"));
  auto tv = fresh_transcript();
  auto st2 = pcs::verify_hiding(std::span(comms).first(2), first_two, opening.proof, tv, params);
  REQUIRE_FALSE(st2.ok());
  // Two stacks under one seed with different labels: member i's masks differ.
  auto other = pcs::commit_joint_hiding(spans, seed_of(4), params, "other");
  REQUIRE(other.ok());
  const auto m_a = (*members)[1]->evaluations().subspan(size_t(1) << 14);
  const auto m_b = (*other)[1]->evaluations().subspan(size_t(1) << 14);
  CHECK(!std::equal(m_a.begin(), m_a.end(), m_b.begin()));
  CHECK((*other)[0]->commitment().root != (*members)[0]->commitment().root);
  // Sized for several openings.
  auto wide = pcs::commit_joint_hiding(spans, seed_of(4), params, "", 8);
  REQUIRE(wide.ok());
  CHECK((*wide)[2]->num_vars() == 16);  // 5000 values, 8 openings: 2^15 values and the mask
}

TEST_CASE("a table several openings read gets a mask above what they reveal", "[pcs][hiding]") {
  CHECK(pcs::hiding_value_vars(100) == pcs::kMinHidingVars);
  CHECK(pcs::hiding_value_vars(100, 3) == 13);  // 3 x 2,208 = 6,624 < 8,192
  CHECK(pcs::hiding_value_vars(100, 4) == 14);  // 8,832 > 8,192
  CHECK(pcs::hiding_value_vars(100, 8) == 15);
  CHECK(pcs::hiding_value_vars(size_t(1) << 20, 4) == 20);
  std::mt19937_64 rng(13);
  const auto values = random_table(100, rng);
  auto c = pcs::commit_hiding(values, seed_of(1), pcs::Params::standard(), 4);
  REQUIRE(c.ok());
  CHECK(c->num_vars() == 15);
}
