// Joint commitments (commit_joint): several polynomials under one mixed-height Merkle
// tree, opened with one path per query. Completeness wherever the members join a
// folding run, the proof's saving, and tamper tests on the leaves, the paths, the
// members and the commitment's shape.

#include <catch2/catch.hpp>

#include "pcs/basefold.hpp"
#include "pcs/proof.hpp"
#include "pcs_test_util.hpp"

using namespace pcs_test;
namespace pcs = zks::pcs;
using pcs::detail::OpeningProof;

namespace {

using Polys = std::vector<std::shared_ptr<const pcs::CommittedPoly>>;

Polys joint_of(const std::vector<unsigned>& sizes, std::mt19937_64& rng, const pcs::Params& params) {
  std::vector<std::vector<Fp>> tables;
  for (unsigned n : sizes) tables.push_back(random_table(size_t(1) << n, rng));
  std::vector<std::span<const Fp>> spans(tables.begin(), tables.end());
  auto made = pcs::commit_joint(spans, params);
  REQUIRE(made.ok());
  return std::move(*made);
}

struct Batch {
  pcs::Params params = pcs::Params::standard();
  Polys polys;
  std::vector<pcs::Commitment> comms;
  std::vector<pcs::Claim> claims;
  zks::util::Bytes proof;

  // Claims on every polynomial (two on each joint member), then the opening.
  void open(std::mt19937_64& rng) {
    for (const auto& p : polys) comms.push_back(p->commitment());
    for (size_t j = 0; j < polys.size(); ++j)
      for (size_t k = 0; k < 1 + size_t(!comms[j].joint.empty()); ++k) claims.push_back(honest_claim(*polys[j], j, rng));
    std::vector<const pcs::CommittedPoly*> ptrs;
    for (const auto& p : polys) ptrs.push_back(p.get());
    auto t = fresh_transcript();
    auto pr = pcs::open_batch(ptrs, claims, t, params);
    REQUIRE(pr.ok());
    proof = std::move(*pr);
  }
  zks::Status verify(std::span<const uint8_t> bytes, std::span<const pcs::Commitment> with) const {
    auto t = fresh_transcript();
    return pcs::verify_batch(with, claims, bytes, t, params);
  }
  zks::Status verify() const { return verify(proof, comms); }
  std::string rejected_with(const OpeningProof& p) const {
    auto st = verify(p.to_bytes(), comms);
    REQUIRE_FALSE(st.ok());
    return st.error();
  }
  OpeningProof decoded() const {
    auto p = OpeningProof::from_bytes(proof, params);
    REQUIRE(p.ok());
    return std::move(*p);
  }
};

// Batch index j's position in the folding run (largest first, then by batch index).
size_t fold_slot(const Batch& b, size_t j) {
  std::vector<size_t> order;
  for (size_t i = 0; i < b.polys.size(); ++i)
    if (b.polys[i]->num_vars() > b.params.final_log) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return b.polys[x]->num_vars() > b.polys[y]->num_vars(); });
  return size_t(std::find(order.begin(), order.end(), j) - order.begin());
}

}  // namespace

TEST_CASE("joint commitments: shapes", "[pcs][joint]") {
  const auto params = pcs::Params::standard();  // arity 16, final message 2^8
  for (unsigned n : {11u, 12u, 13u, 14u, 17u, 20u}) CHECK(pcs::joinable(n, params));
  for (unsigned n : {0u, 8u, 9u, 10u}) CHECK_FALSE(pcs::joinable(n, params));
  CHECK(pcs::check_joint(std::vector<uint32_t>{14, 14, 12, 11}, params).ok());
  CHECK_THAT(pcs::check_joint(std::vector<uint32_t>{12, 14}, params).error(), Catch::Contains("order of size"));
  CHECK_THAT(pcs::check_joint(std::vector<uint32_t>{14, 9}, params).error(), Catch::Contains("cannot be joined"));
  CHECK_FALSE(pcs::check_joint(std::vector<uint32_t>{}, params).ok());
  std::mt19937_64 rng(3);
  auto a = random_table(1 << 12, rng), b = random_table(1 << 13, rng);
  std::vector<std::span<const Fp>> bad = {a, b};
  CHECK_FALSE(pcs::commit_joint(bad, params).ok());
}

TEST_CASE("joint commitments: one root, and every member opens wherever it joins", "[pcs][joint]") {
  std::mt19937_64 rng(5);
  const auto params = pcs::Params::standard();
  // Members of 2^14 (folds 3 + 3), 2^13 (leaves of 8), 2^12, 2^12 and 2^11.
  const std::vector<unsigned> sizes = {14, 13, 12, 12, 11};
  SECTION("alone, the largest member leading the run") {
    Batch b;
    b.polys = joint_of(sizes, rng, params);
    for (size_t i = 0; i < sizes.size(); ++i) {
      CHECK(b.polys[i]->commitment().root == b.polys[0]->commitment().root);
      CHECK(b.polys[i]->commitment().member == i);
      CHECK(b.polys[i]->commitment().num_vars == sizes[i]);
    }
    auto single = pcs::commit(b.polys[0]->evaluations(), params);
    REQUIRE(single.ok());
    CHECK(single->commitment().root != b.polys[0]->commitment().root);
    b.open(rng);
    INFO(b.verify().error());
    CHECK(b.verify().ok());
    // The same tables committed one by one give a larger proof: a path per codeword.
    Batch sep;
    for (const auto& p : b.polys) {
      auto c = pcs::commit(p->evaluations(), params);
      REQUIRE(c.ok());
      sep.polys.push_back(std::make_shared<const pcs::CommittedPoly>(std::move(*c)));
    }
    sep.open(rng);
    CHECK(sep.verify().ok());
    CHECK(b.proof.size() + 4 * 4000 < sep.proof.size());
  }
  SECTION("joining a larger polynomial's run, beside others of its sizes and one in clear") {
    for (unsigned big : {15u, 16u, 18u}) {
      Batch b;
      auto c = pcs::commit(random_table(size_t(1) << big, rng), params);
      REQUIRE(c.ok());
      b.polys.push_back(std::make_shared<const pcs::CommittedPoly>(std::move(*c)));
      for (auto& p : joint_of(sizes, rng, params)) b.polys.push_back(p);
      for (unsigned n : {12u, 6u}) {
        auto o = pcs::commit(random_table(size_t(1) << n, rng), params);
        REQUIRE(o.ok());
        b.polys.push_back(std::make_shared<const pcs::CommittedPoly>(std::move(*o)));
      }
      b.open(rng);
      INFO("largest 2^" << big << ": " << b.verify().error());
      CHECK(b.verify().ok());
    }
  }
  SECTION("two joint commitments in one batch, members in any order") {
    Batch b;
    auto x = joint_of({13, 12}, rng, params), y = joint_of(sizes, rng, params);
    b.polys = {y[3], x[1], y[0], y[4], x[0], y[2], y[1]};
    b.open(rng);
    INFO(b.verify().error());
    CHECK(b.verify().ok());
  }
}

TEST_CASE("joint commitments: tampering is rejected", "[pcs][joint][tamper]") {
  std::mt19937_64 rng(9);
  Batch b;
  auto c = pcs::commit(random_table(size_t(1) << 15, rng), b.params);
  REQUIRE(c.ok());
  b.polys.push_back(std::make_shared<const pcs::CommittedPoly>(std::move(*c)));
  for (auto& p : joint_of({14, 13, 12, 12}, rng, b.params)) b.polys.push_back(p);
  b.open(rng);
  REQUIRE(b.verify().ok());

  SECTION("a value of any member's leaves") {
    for (size_t j = 1; j <= 4; ++j) {
      auto p = b.decoded();
      p.groups[0].base_leaves[fold_slot(b, j)][7] += Fp::one();
      CHECK_THAT(b.rejected_with(p), Catch::Contains("joint commitment"));
    }
  }
  SECTION("a node of the shared path, or a path given to another member") {
    auto p = b.decoded();
    const size_t j0 = fold_slot(b, 1);
    REQUIRE_FALSE(p.groups[0].base_proofs[j0].nodes.empty());
    for (size_t j = 2; j <= 4; ++j) CHECK(p.groups[0].base_proofs[fold_slot(b, j)].nodes.empty());
    p.groups[0].base_proofs[j0].nodes[3][0] ^= 1;
    CHECK_THAT(b.rejected_with(p), Catch::Contains("root mismatch"));
    auto q = b.decoded();
    q.groups[0].base_proofs[fold_slot(b, 3)] = q.groups[0].base_proofs[j0];
    CHECK_THAT(b.rejected_with(q), Catch::Contains("path of its own"));
  }
  SECTION("two members' leaves swapped (the same size)") {
    auto p = b.decoded();
    std::swap(p.groups[0].base_leaves[fold_slot(b, 3)], p.groups[0].base_leaves[fold_slot(b, 4)]);
    b.rejected_with(p);
  }
  SECTION("the commitment's shape, members or root") {
    auto with = [&](auto mutate) {
      auto comms = b.comms;
      mutate(comms);
      auto st = b.verify(b.proof, comms);
      CHECK_FALSE(st.ok());
      return st.ok() ? std::string() : st.error();
    };
    with([](auto& c) { std::swap(c[3].member, c[4].member); });
    CHECK_THAT(with([](auto& c) { c[2].member = 0; }), Catch::Contains("not the member"));
    CHECK_THAT(with([](auto& c) { c[4].member = 9; }), Catch::Contains("not the member"));
    with([](auto& c) {  // a member claimed to join at another height
      for (size_t j = 1; j <= 4; ++j) c[j].joint[3] = 11;
      c[4].num_vars = 11;
    });
    with([](auto& c) {  // the joint commitment read as separate ones
      for (size_t j = 1; j <= 4; ++j) c[j].joint.clear(), c[j].member = 0;
    });
    with([](auto& c) { c[1].joint.clear(), c[1].member = 0; });
    with([](auto& c) { c[3].root[0] ^= 1; });
  }
  SECTION("a member left out of the batch, by the verifier or the prover") {
    std::vector<pcs::Commitment> fewer(b.comms.begin(), b.comms.end() - 1);
    std::vector<pcs::Claim> claims;
    for (const auto& cl : b.claims)
      if (cl.poly < fewer.size()) claims.push_back(cl);
    auto t = fresh_transcript();
    auto st = pcs::verify_batch(fewer, claims, b.proof, t, b.params);
    REQUIRE_FALSE(st.ok());
    CHECK_THAT(st.error(), Catch::Contains("missing from the batch"));
    std::vector<const pcs::CommittedPoly*> ptrs;
    for (size_t j = 0; j + 1 < b.polys.size(); ++j) ptrs.push_back(b.polys[j].get());
    auto tp = fresh_transcript();
    auto pr = pcs::open_batch(ptrs, claims, tp, b.params);
    REQUIRE_FALSE(pr.ok());
    CHECK_THAT(pr.error(), Catch::Contains("missing from the batch"));
  }
  SECTION("a flipped bit anywhere in the opening") {
    size_t tried = 0;
    for (size_t i = 0; i < b.proof.size(); i += 61, ++tried) {
      auto bytes = b.proof;
      bytes[i] ^= uint8_t(1u << (i % 8));
      INFO("byte " << i << " of " << b.proof.size());
      CHECK_FALSE(b.verify(bytes, b.comms).ok());
    }
    CHECK(tried > 500);
  }
}

TEST_CASE("joint commitments: every member reached under other parameters and leaders", "[pcs][joint]") {
  // A sweep (after the review's): arities 2^2, 2^3, 2^5, final messages 2^5 and 2^10,
  // blowup 8; each joint commitment of every joinable size below its largest plus one of
  // the largest's size, leading its run or joining a larger polynomial's at several
  // depths. Each verifies, and a changed row of any member is rejected.
  std::mt19937_64 rng(17);
  std::vector<pcs::Params> all = {pcs::Params::with_queries_for(2, 12), pcs::Params::with_queries_for(3, 12),
                                  pcs::Params::with_queries_for(5, 12), pcs::Params::with_queries_for(4, 12, 100, 22, 5),
                                  pcs::Params::with_queries_for(4, 12, 100, 22, 10)};
  auto blowup = pcs::Params::with_queries_for(4, 12);
  blowup.log_blowup = 3;
  all.push_back(blowup);
  size_t runs = 0;
  for (const auto& params : all) {
    REQUIRE(params.validate().ok());
    for (unsigned n0 = params.final_log + 1; n0 <= params.final_log + 6 && n0 <= 15; ++n0) {
      if (!pcs::joinable(n0, params)) continue;
      std::vector<unsigned> sizes = {n0, n0};
      for (unsigned n = n0 - 1; n > params.final_log; --n)
        if (pcs::joinable(n, params)) sizes.push_back(n);
      for (unsigned lead : {0u, n0 + 1, n0 + 3}) {
        CAPTURE(params.fold_arity_log, params.final_log, params.log_blowup, n0, sizes.size(), lead);
        Batch b;
        b.params = params;
        if (lead) {
          auto c = pcs::commit(random_table(size_t(1) << lead, rng), params);
          REQUIRE(c.ok());
          b.polys.push_back(std::make_shared<const pcs::CommittedPoly>(std::move(*c)));
        }
        for (auto& p : joint_of(sizes, rng, params)) b.polys.push_back(p);
        b.open(rng);
        INFO(b.verify().error());
        REQUIRE(b.verify().ok());
        auto p = b.decoded();
        auto& rows = p.groups[0].base_leaves[fold_slot(b, b.polys.size() - 1)];  // the smallest member
        rows[rows.size() / 2] += Fp::one();
        b.rejected_with(p);
        ++runs;
      }
    }
  }
  CHECK(runs > 40);
}

TEST_CASE("joint commitments: codewords released after the tree open to the same bytes", "[pcs][joint]") {
  const auto params = pcs::Params::standard();
  const std::vector<unsigned> sizes = {14, 14, 13, 12, 12, 11};  // one member the leader's size
  std::mt19937_64 rng(8);
  std::vector<std::vector<Fp>> tables;
  for (unsigned n : sizes) tables.push_back(random_table(size_t(1) << n, rng));
  auto kept = pcs::commit_joint(tables, params, true), released = pcs::commit_joint(tables, params, false);
  REQUIRE((kept.ok() && released.ok()));
  size_t kept_bytes = 0, released_bytes = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    CHECK((*released)[i]->commitment() == (*kept)[i]->commitment());
    kept_bytes += (*kept)[i]->host_bytes(), released_bytes += (*released)[i]->host_bytes();
  }
  // The codewords (4x the tables) are gone; the tables and the tree stay.
  CHECK(released_bytes + 4 * sizeof(Fp) * ((size_t(2) << 14) + (size_t(1) << 13)) < kept_bytes);
  // Each opened with the same claims and transcript: byte for byte the same proof.
  std::vector<zks::util::Bytes> proofs;
  for (const auto* polys : {&*kept, &*released}) {
    Batch b;
    b.polys = *polys;
    std::mt19937_64 claims_rng(9);
    b.open(claims_rng);
    CHECK(b.verify().ok());
    proofs.push_back(b.proof);
  }
  CHECK(proofs[0] == proofs[1]);
}
