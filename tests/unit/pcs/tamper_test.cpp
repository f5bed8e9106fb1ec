// Soundness checks: every part of an opening proof, once changed, makes verification
// fail; malformed bytes are refused with a reason and never crash.

#include <catch2/catch.hpp>

#include "pcs/basefold.hpp"
#include "pcs/proof.hpp"
#include "pcs_test_util.hpp"

using namespace pcs_test;
namespace pcs = zks::pcs;
using pcs::detail::OpeningProof;

namespace {

struct Fixture {
  pcs::Params params = pcs::Params::standard();
  std::vector<pcs::CommittedPoly> polys;
  std::vector<pcs::Commitment> comms;
  std::vector<pcs::Claim> claims;
  zks::util::Bytes proof;

  // Two polynomials of 2^14 and one of 2^12 folded together (the smaller joins after
  // two folds, inside the first layer's three), one of 2^6 in clear, claims at several
  // points.
  explicit Fixture(uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (unsigned n : {14u, 14u, 6u, 12u}) {
      auto c = pcs::commit(random_table(size_t(1) << n, rng), params);
      REQUIRE(c.ok());
      polys.push_back(std::move(*c));
    }
    for (auto& p : polys) comms.push_back(p.commitment());
    claims.push_back(honest_claim(polys[0], 0, rng));
    claims.push_back(honest_claim(polys[0], 0, rng));
    claims.push_back(honest_claim(polys[1], 1, rng));
    claims.push_back(honest_claim(polys[2], 2, rng));
    claims.push_back(honest_claim(polys[3], 3, rng));
    claims.push_back(honest_claim(polys[3], 3, rng));
    std::vector<const pcs::CommittedPoly*> ptrs;
    for (auto& p : polys) ptrs.push_back(&p);
    auto t = fresh_transcript();
    auto pr = pcs::open_batch(ptrs, claims, t, params);
    REQUIRE(pr.ok());
    proof = std::move(*pr);
  }

  zks::Status verify_bytes(std::span<const uint8_t> bytes) const {
    auto t = fresh_transcript();
    return pcs::verify_batch(comms, claims, bytes, t, params);
  }

  OpeningProof decoded() const {
    auto p = OpeningProof::from_bytes(proof, params);
    REQUIRE(p.ok());
    return std::move(*p);
  }

  // Applies `mutate` to the decoded proof and checks that verification fails.
  template <typename Mutate>
  std::string rejected(Mutate mutate) const {
    OpeningProof p = decoded();
    mutate(p);
    auto bytes = p.to_bytes();
    REQUIRE(bytes != proof);
    auto st = verify_bytes(bytes);
    REQUIRE_FALSE(st.ok());
    return st.error();
  }
};

pcs::detail::GroupProof& fold_group(OpeningProof& p) {
  REQUIRE(p.groups.size() == 2);
  REQUIRE(p.groups[0].kind == pcs::detail::GroupKind::Fold);
  return p.groups[0];
}

}  // namespace

TEST_CASE("the untampered fixture verifies", "[pcs][tamper]") {
  Fixture f(1);
  auto st = f.verify_bytes(f.proof);
  INFO(st.error());
  REQUIRE(st.ok());
  auto p = f.decoded();
  auto& g = fold_group(p);
  CHECK(g.layer_roots.size() == 1);  // 14 - 8 = 6 folds: steps 3, 3
  CHECK(g.num_polys == 3);           // 2^14, 2^14 and 2^12 in one run
  CHECK(g.reduce_rounds.size() == 14);
  CHECK(g.point_evals.size() == 3);
  CHECK(g.base_leaves.size() == 3);
}

TEST_CASE("tampering with any part of the proof is rejected", "[pcs][tamper]") {
  Fixture f(2);
  SECTION("a Merkle path node of a base codeword") {
    f.rejected([](OpeningProof& p) { fold_group(p).base_proofs[1].nodes[3][7] ^= 1; });
  }
  SECTION("a Merkle path node of a folded layer") {
    f.rejected([](OpeningProof& p) { fold_group(p).layer_proofs[0].nodes[0][0] ^= 0x80; });
  }
  SECTION("a codeword value in an opened base leaf") {
    f.rejected([](OpeningProof& p) { fold_group(p).base_leaves[0][5] += Fp::one(); });
  }
  SECTION("a value in an opened folded-layer leaf") {
    f.rejected([](OpeningProof& p) { fold_group(p).layer_leaves[0][9] += Fp2::one(); });
  }
  SECTION("the root of a folded codeword") {
    f.rejected([](OpeningProof& p) { fold_group(p).layer_roots[0][31] ^= 1; });
  }
  SECTION("a sumcheck round polynomial") {
    auto msg = f.rejected([](OpeningProof& p) { fold_group(p).rounds[2][2] += Fp2::one(); });
    CHECK(msg.find("sumcheck") != std::string::npos);
  }
  SECTION("a sumcheck round polynomial changed consistently with its claim") {
    f.rejected([](OpeningProof& p) {
      auto& r = fold_group(p).rounds[1];
      r[0] += Fp2::one();
      r[1] -= Fp2::one();
    });
  }
  SECTION("the final polynomial") {
    f.rejected([](OpeningProof& p) { fold_group(p).final_message[17] += Fp2::one(); });
  }
  SECTION("a polynomial's value at the reduced point") {
    for (size_t j = 0; j < 3; ++j) f.rejected([j](OpeningProof& p) { fold_group(p).point_evals[j] += Fp2::one(); });
  }
  SECTION("a claim-reduction round, before and after the smaller polynomial joins") {
    for (size_t i : {1, 3, 9}) f.rejected([i](OpeningProof& p) { fold_group(p).reduce_rounds[i][2] += Fp2::one(); });
  }
  SECTION("a value or a Merkle node of the joining codeword") {
    f.rejected([](OpeningProof& p) { fold_group(p).base_leaves[2][4] += Fp::one(); });
    f.rejected([](OpeningProof& p) { fold_group(p).base_proofs[2].nodes[0][3] ^= 1; });
  }
  SECTION("the joining codeword's leaves swapped for the largest one's") {
    f.rejected([](OpeningProof& p) { std::swap(fold_group(p).base_leaves[0], fold_group(p).base_leaves[2]); });
  }
  SECTION("the proof-of-work nonce") {
    auto msg = f.rejected([](OpeningProof& p) { fold_group(p).pow_nonce += 1; });
    CHECK(msg.find("proof-of-work") != std::string::npos);
  }
  SECTION("a table sent in clear") {
    f.rejected([](OpeningProof& p) { p.groups[1].tables[0][3] += Fp::one(); });
  }
  SECTION("the header version") {
    f.rejected([](OpeningProof& p) { p.version += 1; });
  }
}

TEST_CASE("openings answering other query indices are rejected", "[pcs][tamper]") {
  // A second proof of the same claims under another transcript queries other indices;
  // splicing its openings into the first proof must fail.
  Fixture f(3);
  std::vector<const pcs::CommittedPoly*> ptrs;
  for (auto& p : f.polys) ptrs.push_back(&p);
  zks::transcript::Transcript other("pcs-test");
  other.absorb_u64("statement", 7);
  auto second = pcs::open_batch(ptrs, f.claims, other, f.params);
  REQUIRE(second.ok());
  auto q = OpeningProof::from_bytes(*second, f.params);
  REQUIRE(q.ok());
  f.rejected([&](OpeningProof& p) {
    fold_group(p).base_leaves = q->groups[0].base_leaves;
    fold_group(p).base_proofs = q->groups[0].base_proofs;
  });
}

TEST_CASE("without grinding a changed nonce still changes the queries", "[pcs][tamper]") {
  auto params = pcs::Params::with_queries_for(3, 0);
  std::mt19937_64 rng(4);
  auto c = pcs::commit(random_table(1 << 13, rng), params);
  auto claim = honest_claim(*c, 0, rng);
  auto t = fresh_transcript();
  auto proof = pcs::open(*c, std::span(&claim, 1), t, params);
  auto p = OpeningProof::from_bytes(*proof, params);
  REQUIRE(p.ok());
  p->groups[0].pow_nonce ^= 1;
  auto tv = fresh_transcript();
  CHECK_FALSE(pcs::verify(c->commitment(), std::span(&claim, 1), p->to_bytes(), tv, params).ok());
}

TEST_CASE("a changed claim or commitment is rejected", "[pcs][tamper]") {
  Fixture f(5);
  for (size_t i = 0; i < f.claims.size(); ++i) {
    auto claims = f.claims;
    claims[i].value += Fp2(Fp::zero(), Fp::one());
    auto t = fresh_transcript();
    CHECK_FALSE(pcs::verify_batch(f.comms, claims, f.proof, t, f.params).ok());
    claims = f.claims;
    claims[i].point[0] += Fp2::one();
    auto t2 = fresh_transcript();
    CHECK_FALSE(pcs::verify_batch(f.comms, claims, f.proof, t2, f.params).ok());
  }
  for (size_t j = 0; j < f.comms.size(); ++j) {
    auto comms = f.comms;
    comms[j].root[0] ^= 1;
    auto t = fresh_transcript();
    CHECK_FALSE(pcs::verify_batch(comms, f.claims, f.proof, t, f.params).ok());
  }
}

TEST_CASE("a false claim is rejected even though the prover follows the protocol", "[pcs][tamper]") {
  auto params = pcs::Params::standard();
  std::mt19937_64 rng(6);
  for (unsigned n : {4u, 9u, 12u, 16u}) {
    auto c = pcs::commit(random_table(size_t(1) << n, rng), params);
    auto claim = honest_claim(*c, 0, rng);
    claim.value += Fp2::one();
    auto t = fresh_transcript();
    auto proof = pcs::open(*c, std::span(&claim, 1), t, params);
    REQUIRE(proof.ok());
    auto tv = fresh_transcript();
    CHECK_FALSE(pcs::verify(c->commitment(), std::span(&claim, 1), *proof, tv, params).ok());
  }
}

TEST_CASE("proof serialization round trips", "[pcs][serialize]") {
  Fixture f(7);
  auto p = f.decoded();
  CHECK(p.to_bytes() == f.proof);
  CHECK(p.params_id == f.params.params_id());
}

TEST_CASE("truncated proofs are refused with a reason", "[pcs][serialize]") {
  Fixture f(8);
  const size_t n = f.proof.size();
  for (size_t len = 0; len < n; len += (len < 256 ? 1 : 97)) {
    auto st = f.verify_bytes(std::span<const uint8_t>(f.proof.data(), len));
    REQUIRE_FALSE(st.ok());
    REQUIRE_FALSE(st.error().empty());
  }
  auto longer = f.proof;
  longer.push_back(0);
  auto st = f.verify_bytes(longer);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().find("trailing") != std::string::npos);
}

TEST_CASE("garbled proofs are refused", "[pcs][serialize]") {
  Fixture f(9);
  std::mt19937_64 rng(10);
  for (int i = 0; i < 400; ++i) {
    auto bytes = f.proof;
    size_t pos = rng() % bytes.size();
    bytes[pos] ^= static_cast<uint8_t>(1 + rng() % 255);
    auto st = f.verify_bytes(bytes);
    INFO("flipped byte " << pos);
    REQUIRE_FALSE(st.ok());
  }
}

TEST_CASE("absurd sizes in a proof are refused before allocation", "[pcs][serialize]") {
  Fixture f(11);
  // The group count sits after the version and the 32-byte params_id.
  auto bytes = f.proof;
  for (size_t i = 36; i < 40; ++i) bytes[i] = 0xff;
  auto st = f.verify_bytes(bytes);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().find("exceeds limit") != std::string::npos);
  // The claim-reduction round count of the folding run (after kind, num_vars, num_polys).
  bytes = f.proof;
  for (size_t i = 49; i < 53; ++i) bytes[i] = 0xff;
  st = f.verify_bytes(bytes);
  REQUIRE_FALSE(st.ok());
  INFO(st.error());
  CHECK(st.error().find("claim-reduction round count 4294967295 exceeds limit") != std::string::npos);
  // Garbage from the start.
  std::vector<uint8_t> junk(5000, 0xab);
  CHECK_FALSE(f.verify_bytes(junk).ok());
}

TEST_CASE("a flipped bit anywhere in a mixed-size opening is rejected", "[pcs][tamper]") {
  // One bit of every 53rd byte (the bit cycling through the byte), over the whole proof:
  // header, counts, rounds, point evaluations, roots, final message, nonce, leaves of
  // the largest and the joining codewords, Merkle nodes, the table in clear.
  Fixture f(12);
  size_t tried = 0;
  for (size_t i = 0; i < f.proof.size(); i += 53, ++tried) {
    auto bytes = f.proof;
    bytes[i] ^= uint8_t(1u << (i % 8));
    INFO("byte " << i << " of " << f.proof.size());
    CHECK_FALSE(f.verify_bytes(bytes).ok());
  }
  CHECK(tried > 1000);
}
