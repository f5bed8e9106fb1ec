// Zero knowledge, stage 4: the LogUp lookup with committed helper columns and one
// masked sumcheck (lookup/zk_logup.hpp), run end to end with its hiding opening:
// completeness for one- and two-column tables and layouts of several blocks, a row
// missing from the table, wrong multiplicities, and tampering with every part.

#include <catch2/catch.hpp>
#include <random>

#include "lookup/zk_logup.hpp"
#include "poly/mle.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::transcript::Transcript;
namespace lk = zks::lookup;
namespace pcs = zks::pcs;
namespace sc = zks::sumcheck;

namespace {

pcs::Seed seed_of(uint8_t b) {
  pcs::Seed s{};
  s.fill(b);
  return s;
}

// A table of 2^bits rows (x, or (x, x*x mod 97) with two columns) and a witness of the
// layout's real rows drawn from it; the commitments (hiding) of the witness columns,
// of m and of the mask table, then the proof and its opening.
struct Fixture {
  pcs::Params params = pcs::Params::standard();
  lk::ZkShape shape;
  std::vector<std::vector<Fp>> table, witness;
  std::vector<Fp> m;
  std::vector<pcs::CommittedPoly> committed;  // witness columns, m, mask table
  std::vector<Fp> mask_entries;
  std::vector<unsigned> degrees;
  lk::ZkProof proof;
  std::vector<std::shared_ptr<const pcs::CommittedPoly>> helpers;
  zks::util::Bytes opening;

  // drop_a_row: a real row is changed to one not in the table, m kept for the honest
  // witness. zero_cheat: the table is 1..2^bits (no zero row), a real row is 0, and m
  // counts it at the first row of the table's zero-extension.
  Fixture(unsigned bits, unsigned columns, zks::poly::BlockLayout layout, uint64_t seed, bool drop_a_row = false,
          bool zero_cheat = false) {
    std::mt19937_64 rng(seed);
    shape.witness = layout;
    shape.table_vars = bits;
    shape.columns = columns;
    shape.num_vars = std::max(pcs::kMinHidingVars, std::max(bits, layout.num_vars()));
    table.assign(columns, std::vector<Fp>(size_t(1) << bits));
    for (size_t j = 0; j < table[0].size(); ++j) {
      table[0][j] = Fp(j + (zero_cheat ? 1 : 0));
      if (columns == 2) table[1][j] = Fp((j * j) % 97);
    }
    witness.assign(columns, std::vector<Fp>(layout.padded_size(), Fp::zero()));
    for (size_t i = 0; i < layout.padded_size(); ++i) {
      if (!layout.is_real(i)) continue;
      const size_t j = rng() % table[0].size();
      for (unsigned c = 0; c < columns; ++c) witness[c][i] = table[c][j];
    }
    lk::Input in;
    for (auto& w : witness) in.witness.push_back(w);
    for (auto& tc : table) in.table.push_back(tc);
    in.witness_shape = layout;
    auto mr = lk::multiplicities(in);
    REQUIRE(mr.ok());
    m = *mr;
    size_t first_real = 0;
    while (!layout.is_real(first_real)) ++first_real;
    if (drop_a_row) witness[0][first_real] = Fp(table[0].size() + 5);
    if (zero_cheat) {
      m[witness[0][first_real].value() - 1] -= Fp::one();
      witness[0][first_real] = Fp::zero();
      m.resize(size_t(1) << shape.num_vars, Fp::zero());
      m[table[0].size()] = Fp::one();
    }
    for (unsigned c = 0; c < columns; ++c) committed.push_back(commit_padded(witness[c], uint8_t(1 + c)));
    committed.push_back(commit_padded(m, 20));
    degrees = lk::zk_lookup_degrees(shape);
    mask_entries.resize(sc::mask_entries(degrees));
    for (auto& x : mask_entries) x = Fp(rng());
    committed.push_back(pcs::commit_hiding(mask_entries, seed_of(30), params).value());
  }

  // The argument's tables are zero-padded to its size before the hiding commitment.
  pcs::CommittedPoly commit_padded(std::span<const Fp> values, uint8_t seed) const {
    std::vector<Fp> padded(values.begin(), values.end());
    padded.resize(size_t(1) << shape.num_vars, Fp::zero());
    return pcs::commit_hiding(padded, seed_of(seed), params).value();
  }

  size_t mask_index() const { return committed.size() - 1; }
  lk::ZkCommitments commitments() const {
    lk::ZkCommitments c;
    for (unsigned j = 0; j < shape.columns; ++j) c.witness.push_back(committed[j].commitment());
    c.m = committed[m_index()].commitment();
    c.mask_root = committed[mask_index()].commitment().root;
    return c;
  }
  size_t m_index() const { return shape.columns; }

  Transcript statement() const {
    Transcript t("zk-logup-test");
    for (const auto& c : committed) t.absorb("root", c.commitment().root);
    return t;
  }

  // The claims of the opening, in one order for both sides: masked claims on the
  // witness columns, m and the helpers (batch indices after the committed ones), the
  // mask's weighted claim.
  std::vector<pcs::Claim> claims_of(const lk::ZkClaims& cl) const {
    std::vector<pcs::Claim> out;
    for (unsigned c = 0; c < shape.columns; ++c) out.push_back(pcs::masked_claim(c, cl.point, cl.witness_evals[c]).value());
    out.push_back(pcs::masked_claim(m_index(), cl.point, cl.m_eval).value());
    for (size_t k = 0; k < lk::kZkHelpers; ++k)
      out.push_back(pcs::masked_claim(committed.size() + k, cl.point, cl.helper_evals[k]).value());
    const size_t values = size_t(1) << (committed[mask_index()].num_vars() - 1);
    pcs::Claim g{mask_index(), {}, cl.final_mask, std::vector<Fp2>(values, Fp2::zero())};
    const auto w = sc::final_mask_weights(degrees, cl.rho, cl.point);
    std::copy(w.begin(), w.end(), g.weights.begin());
    out.push_back(std::move(g));
    return out;
  }

  std::function<void(lk::ZkHelpers&, const Fp2&)> tamper_helpers;

  zks::Status prove() {
    Transcript t = statement();
    lk::ZkInput in;
    in.tamper_helpers = tamper_helpers;
    for (unsigned c = 0; c < shape.columns; ++c) in.witness.push_back(&committed[c]);
    in.m = &committed[m_index()];
    for (auto& tc : table) in.table.push_back(tc);
    in.mask_root = committed[mask_index()].commitment().root;
    const auto mask_values = committed[mask_index()].evaluations().first(mask_entries.size());
    auto out = lk::prove_zk(shape, in, sc::Mask(mask_values, degrees), seed_of(40), params, t);
    if (!out.ok()) return zks::make_error(out.error());
    proof = out->proof;
    helpers = std::move(out->helpers);
    std::vector<const pcs::CommittedPoly*> ptrs;
    for (auto& c : committed) ptrs.push_back(&c);
    for (auto& h : helpers) ptrs.push_back(h.get());
    auto op = pcs::open_hiding(ptrs, claims_of(out->claims), t, params, seed_of(50));
    if (!op.ok()) return zks::make_error(op.error());
    opening = std::move(*op);
    return {};
  }

  zks::Status verify(const lk::ZkProof& p, std::span<const uint8_t> open_bytes) const {
    Transcript t = statement();
    auto cl = lk::verify_zk(shape, table, commitments(), p, t);
    if (!cl.ok()) return zks::make_error(cl.error());
    std::vector<pcs::Commitment> comms;
    for (const auto& c : committed) comms.push_back(c.commitment());
    for (const auto& h : cl->helpers) comms.push_back(h);
    return pcs::verify_hiding(comms, claims_of(*cl), open_bytes, t, params);
  }
  zks::Status verify() const { return verify(proof, opening); }
};

// sum h_w over the helper's rows (h_w = h0 + h1 X).
Fp2 helper_sum(const lk::ZkHelpers& h) {
  Fp2 sum = Fp2::zero();
  for (size_t i = 0; i < h[0].size(); ++i) sum += Fp2(h[0][i], h[1][i]);
  return sum;
}

zks::poly::BlockLayout two_blocks() {
  return zks::poly::BlockLayout({zks::poly::PaddedShape({30, 50}), zks::poly::PaddedShape({700})});
}

}  // namespace

TEST_CASE("zk lookups are complete: one and two columns, one block and several", "[lookup][zk]") {
  for (unsigned columns : {1u, 2u}) {
    CAPTURE(columns);
    Fixture one(10, columns, zks::poly::PaddedShape({3000}), 1 + columns);
    REQUIRE(one.prove().ok());
    auto st = one.verify();
    INFO(st.error());
    CHECK(st.ok());
    Fixture blocks(8, columns, two_blocks(), 3 + columns);
    REQUIRE(blocks.prove().ok());
    CHECK(blocks.verify().ok());
  }
  // A table larger than the hiding minimum sets the argument's size.
  Fixture big(14, 1, zks::poly::PaddedShape({5000}), 7);
  CHECK(big.shape.num_vars == 14);
  REQUIRE(big.prove().ok());
  CHECK(big.verify().ok());
}

TEST_CASE("the values a zk lookup shows are masked", "[lookup][zk]") {
  Fixture f(10, 1, zks::poly::PaddedShape({3000}), 11);
  REQUIRE(f.prove().ok());
  // The witness column's value at the sumcheck point is not what the proof shows (f^,
  // not f): recompute the point from the verifier's side.
  Transcript t = f.statement();
  auto cl = lk::verify_zk(f.shape, f.table, f.commitments(), f.proof, t);
  REQUIRE(cl.ok());
  std::vector<Fp> padded = f.witness[0];
  padded.resize(size_t(1) << f.shape.num_vars, Fp::zero());
  CHECK(cl->witness_evals[0] != zks::poly::evaluate(std::span<const Fp>(padded), cl->point));
  // The sumcheck claims 0: no sum of fractions is in the proof.
  CHECK(f.proof.sumcheck.rounds.rounds.size() == f.shape.num_vars);
}

TEST_CASE("a zk lookup of a row missing from the table, or with wrong multiplicities, is rejected",
          "[lookup][zk][tamper]") {
  Fixture missing(10, 1, zks::poly::PaddedShape({3000}), 12, /*drop_a_row=*/true);
  REQUIRE(missing.prove().ok());  // the prover follows the protocol with a false witness
  auto st = missing.verify();
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.error(), Catch::Contains("zk lookup"));

  // A zero row, missing from a table of 1..2^10, counted in the table's zero-extension.
  Fixture zero(10, 1, zks::poly::PaddedShape({3000}), 15, false, /*zero_cheat=*/true);
  REQUIRE(zero.prove().ok());
  CHECK_FALSE(zero.verify().ok());

  Fixture wrong_m(10, 1, zks::poly::PaddedShape({3000}), 13);
  // Move one count to another row, and commit m again.
  size_t from = 0;
  while (wrong_m.m[from] == Fp::zero()) ++from;
  wrong_m.m[from] -= Fp::one();
  wrong_m.m[(from + 1) % wrong_m.m.size()] += Fp::one();
  wrong_m.committed[wrong_m.m_index()] = wrong_m.commit_padded(wrong_m.m, 20);
  REQUIRE(wrong_m.prove().ok());
  CHECK_FALSE(wrong_m.verify().ok());
}

TEST_CASE("a changed zk lookup proof is rejected", "[lookup][zk][tamper]") {
  Fixture f(9, 2, two_blocks(), 14);
  REQUIRE(f.prove().ok());
  REQUIRE(f.verify().ok());
  SECTION("each masked evaluation") {
    for (size_t i = 0; i < f.proof.masked_evals.size(); ++i) {
      auto p = f.proof;
      p.masked_evals[i] += Fp2::one();
      INFO("masked evaluation " << i);
      CHECK_FALSE(f.verify(p, f.opening).ok());
    }
  }
  SECTION("a helper's root, the mask's sum or value, a round") {
    auto p = f.proof;
    p.helper_root[5] ^= 1;
    CHECK_FALSE(f.verify(p, f.opening).ok());
    p = f.proof;
    p.sumcheck.mask_sum += Fp2::one();
    CHECK_FALSE(f.verify(p, f.opening).ok());
    p = f.proof;
    p.sumcheck.final_mask += Fp2::one();
    CHECK_FALSE(f.verify(p, f.opening).ok());
    p = f.proof;
    p.sumcheck.rounds.rounds[3][1] += Fp2::one();
    CHECK_FALSE(f.verify(p, f.opening).ok());
  }
  SECTION("a byte of the opening") {
    for (size_t at : {size_t(10), f.opening.size() / 2, f.opening.size() - 2}) {
      auto bad = f.opening;
      bad[at] ^= 2;
      CHECK_FALSE(f.verify(f.proof, bad).ok());
    }
  }
  SECTION("another table, or another layout, in the statement") {
    f.table[1][3] += Fp::one();
    CHECK_FALSE(f.verify().ok());
    f.table[1][3] -= Fp::one();
    REQUIRE(f.verify().ok());
    f.shape.witness = zks::poly::PaddedShape({3000});
    CHECK_FALSE(f.verify().ok());
  }
  SECTION("serialization round trips; truncation and bad shapes are refused") {
    zks::util::ByteWriter w;
    f.proof.write(w);
    const auto bytes = w.take();
    zks::util::ByteReader r(bytes);
    auto back = lk::ZkProof::read(r, f.shape);
    REQUIRE(back.ok());
    CHECK(r.remaining() == 0);
    CHECK(f.verify(*back, f.opening).ok());
    zks::util::ByteReader cut(std::span<const uint8_t>(bytes).first(bytes.size() - 3));
    CHECK_FALSE(lk::ZkProof::read(cut, f.shape).ok());
    auto odd = f.shape;
    odd.columns = 9;
    zks::util::ByteReader again(bytes);
    auto refused = lk::ZkProof::read(again, odd);
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.error(), Catch::Contains("columns out of range"));
  }
}

TEST_CASE("forged helpers are rejected: a padding row or a real row made to balance the sums",
          "[lookup][zk][tamper]") {
  // The witness has a row missing from the table, so sum h_w != sum m u (the table
  // side's); the prover adds the difference to one entry of h_w, which balances the sums
  // and breaks that entry's constraint h_w (alpha - c(w)) = sel.
  {
    // The target is right: an honest witness's h_w sums to zk_table_sum's value.
    Fixture honest(10, 1, zks::poly::PaddedShape({3000}), 16);
    bool called = false;
    honest.tamper_helpers = [&](lk::ZkHelpers& h, const Fp2& sum_t) {
      CHECK(helper_sum(h) == sum_t);
      called = true;
    };
    REQUIRE(honest.prove().ok());
    CHECK(called);
    CHECK(honest.verify().ok());
  }
  for (bool at_padding : {true, false}) {
    CAPTURE(at_padding);
    Fixture f(10, 1, zks::poly::PaddedShape({3000}), 16, /*drop_a_row=*/true);
    f.tamper_helpers = [&](lk::ZkHelpers& h, const Fp2& sum_t) {
      const Fp2 sum_w = helper_sum(h);
      REQUIRE(sum_w != sum_t);  // the dropped row
      const Fp2 diff = sum_t - sum_w;
      const size_t at = at_padding ? 3500 : 7;  // rows of 3000 real ones (padded to 4096)
      h[0][at] += diff.c0();
      h[1][at] += diff.c1();
    };
    REQUIRE(f.prove().ok());
    auto st = f.verify();
    REQUIRE_FALSE(st.ok());
    CHECK_THAT(st.error(), Catch::Contains("zk lookup"));
  }
}

TEST_CASE("a zk lookup is bound to its commitments, and its helpers' masks are fresh", "[lookup][zk]") {
  Fixture f(10, 1, zks::poly::PaddedShape({3000}), 17);
  REQUIRE(f.prove().ok());
  REQUIRE(f.verify().ok());
  // The verifier holding another witness, m or mask commitment rejects.
  for (int which = 0; which < 3; ++which) {
    CAPTURE(which);
    Transcript t = f.statement();
    auto comms = f.commitments();
    (which == 0 ? comms.witness[0].root : which == 1 ? comms.m.root : comms.mask_root)[3] ^= 1;
    CHECK_FALSE(lk::verify_zk(f.shape, f.table, comms, f.proof, t).ok());
  }
  // Two lookups of the same tables under one seed, one after the other in one proof:
  // their helpers commit different masks (the transcript's state differs).
  const auto first = f.proof.helper_root;
  Transcript t = f.statement();
  lk::ZkInput in;
  in.witness.push_back(&f.committed[0]);
  in.m = &f.committed[f.m_index()];
  for (auto& tc : f.table) in.table.push_back(tc);
  in.mask_root = f.committed[f.mask_index()].commitment().root;
  const sc::Mask mask(f.committed[f.mask_index()].evaluations().first(f.mask_entries.size()), f.degrees);
  auto a = lk::prove_zk(f.shape, in, mask, seed_of(40), f.params, t);
  auto b = lk::prove_zk(f.shape, in, mask, seed_of(40), f.params, t);
  REQUIRE((a.ok() && b.ok()));
  CHECK(a->proof.helper_root == first);  // the same statement: the same proof
  // The masks themselves (not only the roots, which the values move too) differ
  // between the two lookups, and between the two helpers of one.
  const size_t N = size_t(1) << f.shape.num_vars;
  auto mask_half = [&](const lk::ZkProverOutput& o, size_t k) { return o.helpers[k]->evaluations().subspan(N); };
  for (size_t k = 0; k < lk::kZkHelpers; ++k) {
    CHECK(!std::equal(mask_half(*a, k).begin(), mask_half(*a, k).end(), mask_half(*b, k).begin()));
    if (k > 0) CHECK(!std::equal(mask_half(*a, k).begin(), mask_half(*a, k).end(), mask_half(*a, 0).begin()));
  }
}

// The phased form (zk_challenges, zk_helpers, prove_zk_rounds / verify_zk_rounds), as a
// private proof runs it: every table shorter than the argument and read zero-extended
// (a witness of 300 rows, h_w over its 2^9, against a table of 2^14), each table the
// first entries of a larger hiding commitment, claimed there with the extension's factor.
TEST_CASE("a zk lookup in phases reads short tables zero-extended", "[lookup][zk][tamper]") {
  const pcs::Params params = pcs::Params::standard();
  const unsigned tv = 14, wv = 9;
  lk::ZkShape shape{zks::poly::PaddedShape({300}), tv, 1, tv};
  std::vector<Fp> table(size_t(1) << tv), witness(size_t(1) << wv, Fp::zero()), m(table.size(), Fp::zero());
  for (size_t j = 0; j < table.size(); ++j) table[j] = Fp(3 * j + 1);
  for (size_t i = 0; i < 300; ++i) witness[i] = table[(i * 37) % table.size()], m[(i * 37) % table.size()] += Fp::one();
  const auto degrees = lk::zk_lookup_degrees(shape);
  std::vector<Fp> mask_values(sc::mask_entries(degrees));
  for (size_t i = 0; i < mask_values.size(); ++i) mask_values[i] = Fp(i * i + 5);
  // Members: the witness (its 2^9 values first in a table of 2^13), m, the mask table.
  std::vector<pcs::CommittedPoly> cols;
  cols.push_back(pcs::commit_hiding(witness, seed_of(1), params).value());
  cols.push_back(pcs::commit_hiding(m, seed_of(2), params).value());
  cols.push_back(pcs::commit_hiding(mask_values, seed_of(3), params).value());
  // A table's first n values and mask in a committed table of values, then mask.
  auto first_of = [](const pcs::CommittedPoly& c, size_t n) {
    const size_t half = c.evaluations().size() / 2;
    return std::pair{c.evaluations().first(n), c.evaluations().subspan(half, n)};
  };
  // A claim on a table's first 2^k values at the argument's point r (the extension's factor).
  auto short_claim = [](size_t poly, const pcs::CommittedPoly& c, unsigned k, std::span<const Fp2> r, Fp2 v) {
    std::vector<Fp2> z(r.begin(), r.begin() + k);
    Fp2 scale = Fp2::one();
    for (size_t i = k; i < r.size(); ++i) scale *= Fp2::one() - r[i];
    z.resize(c.num_vars() - 1, Fp2::zero());
    return pcs::masked_claim(poly, z, v * scale.inverse()).value();
  };
  struct Run {
    lk::ZkRounds rounds;
    zks::hash::Digest helper_root;
    zks::util::Bytes opening;
  };
  auto statement = [&] {
    Transcript t("zk-logup-phases");
    for (const auto& c : cols) t.absorb("root", c.commitment().root);
    return t;
  };
  auto claims_of = [&](const lk::ZkClaims& cl, std::span<const pcs::CommittedPoly* const> all) {
    std::vector<pcs::Claim> out{short_claim(0, *all[0], wv, cl.point, cl.witness_evals[0]),
                                short_claim(1, *all[1], tv, cl.point, cl.m_eval)};
    for (size_t k = 0; k < lk::kZkHelpers; ++k)
      out.push_back(short_claim(3 + k, *all[3 + k], wv, cl.point, cl.helper_evals[k]));
    pcs::Claim g{2, {}, cl.final_mask, std::vector<Fp2>(size_t(1) << (cols[2].num_vars() - 1), Fp2::zero())};
    const auto w = sc::final_mask_weights(degrees, cl.rho, cl.point);
    std::copy(w.begin(), w.end(), g.weights.begin());
    out.push_back(std::move(g));
    return out;
  };
  std::vector<pcs::CommittedPoly> helpers;
  auto prove = [&](const std::vector<Fp>& wit) -> Run {
    Transcript t = statement();
    const pcs::CommittedPoly w_col = pcs::commit_hiding(wit, seed_of(1), params).value();
    lk::ZkTables in;
    const auto [wv_values, wv_mask] = first_of(w_col, witness.size());
    in.witness = {wv_values}, in.witness_mask = {wv_mask};
    std::tie(in.m, in.m_mask) = first_of(cols[1], m.size());
    const std::vector<std::span<const Fp>> tab{table};
    const auto ch = lk::zk_challenges(t, shape, false);
    auto h = lk::zk_helpers(shape, in, ch).value();
    CHECK((h[0].size() == (size_t(1) << wv) && h[1].size() == (size_t(1) << wv)));
    helpers.clear();
    for (size_t k = 0; k < lk::kZkHelpers; ++k) helpers.push_back(pcs::commit_hiding(h[k], seed_of(uint8_t(10 + k)), params).value());
    Run run;
    run.helper_root = helpers[0].commitment().root;
    for (const auto& hc : helpers) t.absorb("helper", hc.commitment().root);
    lk::ZkHelperTables ht;
    for (size_t k = 0; k < lk::kZkHelpers; ++k) std::tie(ht.values[k], ht.masks[k]) = first_of(helpers[k], h[k].size());
    const sc::Mask mask(cols[2].evaluations().first(mask_values.size()), degrees);
    auto out = lk::prove_zk_rounds(shape, in, tab, ch, ht, mask, cols[2].commitment().root, t).value();
    run.rounds = out.rounds;
    std::vector<const pcs::CommittedPoly*> all{&w_col, &cols[1], &cols[2]};
    for (const auto& hc : helpers) all.push_back(&hc);
    run.opening = pcs::open_hiding(all, claims_of(out.claims, all), t, params, seed_of(50)).value();
    return run;
  };
  auto verify = [&](const Run& run) -> zks::Status {
    Transcript t = statement();
    const auto ch = lk::zk_challenges(t, shape, true);
    for (const auto& hc : helpers) t.absorb("helper", hc.commitment().root);
    const std::vector<std::vector<Fp>> tab{table};
    auto cl = lk::verify_zk_rounds(shape, tab, ch, run.rounds, cols[2].commitment().root, t);
    if (!cl.ok()) return zks::make_error(cl.error());
    std::vector<const pcs::CommittedPoly*> all{&cols[0], &cols[1], &cols[2]};
    for (const auto& hc : helpers) all.push_back(&hc);
    std::vector<pcs::Commitment> comms;
    for (const auto* c : all) comms.push_back(c->commitment());
    return pcs::verify_hiding(comms, claims_of(*cl, all), run.opening, t, params);
  };
  const Run honest = prove(witness);
  auto st = verify(honest);
  INFO(st.error());
  REQUIRE(st.ok());
  SECTION("a changed masked evaluation or round") {
    for (size_t i = 0; i < honest.rounds.masked_evals.size(); ++i) {
      Run bad = honest;
      bad.rounds.masked_evals[i] += Fp2::one();
      CHECK_FALSE(verify(bad).ok());
    }
    Run bad = honest;
    bad.rounds.sumcheck.rounds.rounds[2][0] += Fp2::one();
    CHECK_FALSE(verify(bad).ok());
  }
  SECTION("a witness row missing from the table") {
    auto wrong = witness;
    wrong[5] = Fp(2);  // not 3 j + 1
    cols[0] = pcs::commit_hiding(wrong, seed_of(1), params).value();
    CHECK_FALSE(verify(prove(wrong)).ok());
  }
  SECTION("tables longer than the argument are refused") {
    Transcript t = statement();
    lk::ZkTables in;
    std::vector<Fp> longer(size_t(1) << (tv + 1), Fp::zero());
    in.witness = {longer}, in.witness_mask = {longer};
    std::tie(in.m, in.m_mask) = first_of(cols[1], m.size());
    auto h = lk::zk_helpers(shape, in, lk::zk_challenges(t, shape, false));
    REQUIRE_FALSE(h.ok());
    CHECK_THAT(h.error(), Catch::Contains("a witness column has 32768 values"));
  }
}
