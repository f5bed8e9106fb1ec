// Zero knowledge, stages 2 and 3: the sumcheck with a Libra mask and masked
// evaluations (sumcheck/zk.hpp). Completeness for several shapes, the mask's sum and
// value by brute force, the count that makes the rounds uniform (the map from the
// mask's entries to what the rounds show has full rank, challenges fixed), tampering,
// and the whole path: masked sumchecks whose g(r) are weighted claims on one hiding
// mask table and whose factors' f^(r) are masked claims on their hiding commitments.

#include <catch2/catch.hpp>
#include <random>

#include "unit/support.hpp"

#include "field/field.hpp"
#include "pcs/hiding.hpp"
#include "poly/mle.hpp"
#include "sumcheck/zk.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::transcript::Transcript;
namespace sc = zks::sumcheck;
namespace pcs = zks::pcs;

namespace {
using zks::test::rand2;

// For sumchecks whose mask is not committed here (the tests of the sumcheck alone).
const zks::hash::Digest kNoRoot{};

std::vector<Fp> random_entries(size_t n, std::mt19937_64& rng) {
  std::vector<Fp> v(n);
  for (auto& x : v) x = Fp(rng());
  return v;
}

// A product of d tables, with an eq factor when with_eq.
struct Instance {
  std::vector<std::vector<Fp>> tables;
  std::vector<Fp2> eq_point;
  sc::Instance inst;
  Instance(unsigned k, unsigned d, bool with_eq, std::mt19937_64& rng) {
    for (unsigned j = 0; j < d; ++j) tables.push_back(random_entries(size_t(1) << k, rng));
    if (with_eq)
      for (unsigned i = 0; i < k; ++i) eq_point.push_back(rand2(rng));
    for (auto& t : tables) inst.factors.push_back(std::span<const Fp>(t));
    inst.eq_point = eq_point;
  }
  // The caller's final check, the tables standing in for their openings.
  zks::Status check(const sc::SubClaim& sub) const {
    std::vector<Fp2> evals;
    for (const auto& t : tables) evals.push_back(zks::poly::evaluate(std::span<const Fp>(t), sub.point));
    return sc::check_final(sub, evals, eq_point);
  }
};

Fp2 inner(std::span<const Fp> entries, std::span<const Fp2> w) {
  Fp2 s = Fp2::zero();
  for (size_t i = 0; i < entries.size(); ++i) s += w[i] * Fp2(entries[i]);
  return s;
}

// The rank of a matrix over F_{p^2} (Gaussian elimination).
size_t rank(std::vector<std::vector<Fp2>> m) {
  size_t r = 0;
  const size_t cols = m.empty() ? 0 : m[0].size();
  for (size_t c = 0; c < cols && r < m.size(); ++c) {
    size_t p = r;
    while (p < m.size() && m[p][c].is_zero()) ++p;
    if (p == m.size()) continue;
    std::swap(m[p], m[r]);
    const Fp2 inv = m[r][c].inverse();
    for (size_t i = 0; i < m.size(); ++i) {
      if (i == r || m[i][c].is_zero()) continue;
      const Fp2 f = m[i][c] * inv;
      for (size_t j = c; j < cols; ++j) m[i][j] -= f * m[r][j];
    }
    ++r;
  }
  return r;
}

}  // namespace

TEST_CASE("masked sumchecks are complete, and g(r) is the inner product with mask_weights", "[sumcheck][zk]") {
  std::mt19937_64 rng(1);
  for (unsigned k : {1u, 2u, 5u, 10u}) {
    for (unsigned d : {1u, 2u, 3u}) {
      for (bool with_eq : {false, true}) {
        CAPTURE(k, d, with_eq);
        Instance in(k, d, with_eq, rng);
        const auto degrees = sc::uniform_degrees(k, in.inst.degree());
        const auto entries = random_entries(sc::mask_entries(degrees), rng);
        const sc::Mask mask(entries, degrees);
        const Fp2 H = sc::compute_sum(in.inst);
        Transcript tp("zk-test");
        sc::Prover prover(in.inst);
        auto out = sc::prove_zk(prover, H, mask, kNoRoot, tp);
        CHECK(out.proof.final_mask == out.rho * inner(entries, sc::mask_weights(degrees, out.point)));
        CHECK(out.proof.final_mask == inner(entries, sc::final_mask_weights(degrees, out.rho, out.point)));
        Transcript tv("zk-test");
        auto sub = sc::verify_zk(H, degrees, kNoRoot, out.proof, tv);
        INFO((sub.ok() ? std::string() : sub.error()));
        REQUIRE(sub.ok());
        CHECK(sub->point == out.point);
        CHECK(in.check(*sub).ok());
        CHECK(tv.state() == tp.state());
      }
    }
  }
}

TEST_CASE("the mask's sum and rounds match the hypercube by brute force", "[sumcheck][zk]") {
  std::mt19937_64 rng(2);
  const unsigned k = 4, D = 3;
  const auto entries = random_entries(sc::mask_entries(sc::uniform_degrees(k, D)), rng);
  const sc::Mask mask(entries, sc::uniform_degrees(k, D));
  Fp2 sum = Fp2::zero();
  for (unsigned x = 0; x < (1u << k); ++x) {
    std::vector<Fp2> pt;
    for (unsigned i = 0; i < k; ++i) pt.push_back(Fp2::from_u64((x >> i) & 1));
    sum += mask.value(pt);
  }
  CHECK(mask.sum() == sum);
  // Round i at X: the sum of g over the last k - i - 1 variables with r_{<i} and X fixed.
  std::vector<Fp2> r = {rand2(rng), rand2(rng)};
  const auto m = mask.round(2, r);
  for (unsigned X = 0; X <= D; ++X) {
    Fp2 s = Fp2::zero();
    for (unsigned b = 0; b < 2; ++b) s += mask.value(std::vector<Fp2>{r[0], r[1], Fp2::from_u64(X), Fp2::from_u64(b)});
    CHECK(m[X] == s);
  }
}

TEST_CASE("what a masked sumcheck shows has full rank in the mask's entries", "[sumcheck][zk]") {
  // With the challenges fixed, G and each round's D sent values (s(0), s(2) .. s(D))
  // are 1 + k D values of F_{p^2}, F_p-linear in the mask's 2 (1 + k D) table entries.
  // Full rank over F_p means they are uniform whatever F is: each entry's row holds
  // both components of every shown value (a mask with F_p coefficients would reach
  // half the rank).
  std::mt19937_64 rng(3);
  for (unsigned k : {1u, 2u, 3u, 6u}) {
    for (unsigned D : {1u, 2u, 3u, 5u}) {
      CAPTURE(k, D);
      std::vector<Fp2> r;
      for (unsigned i = 0; i < k; ++i) r.push_back(rand2(rng));
      auto degrees = sc::uniform_degrees(k, D);
      degrees[0] = 3 * D + 1;  // a masked round 0's degree
      const size_t entries = sc::mask_entries(degrees);
      std::vector<std::vector<Fp2>> rows;  // one row an entry: the F_p components it adds to what is shown
      for (size_t q = 0; q < entries; ++q) {
        std::vector<Fp> e(entries, Fp::zero());
        e[q] = Fp::one();
        const sc::Mask mask(e, degrees);
        std::vector<Fp2> shown = {mask.sum()};
        for (unsigned i = 0; i < k; ++i) {
          const auto m = mask.round(i, std::span<const Fp2>(r).first(i));
          shown.push_back(m[0]);
          shown.insert(shown.end(), m.begin() + 2, m.end());
        }
        std::vector<Fp2> row;
        for (const Fp2& v : shown) row.push_back(Fp2(v.c0())), row.push_back(Fp2(v.c1()));
        REQUIRE(row.size() == entries);
        rows.push_back(std::move(row));
      }
      CHECK(rank(rows) == entries);
    }
  }
}

TEST_CASE("masked evaluations: round 0 over f^ = f~ + x_0 (1 - x_0) R~ is complete", "[sumcheck][zk]") {
  std::mt19937_64 rng(6);
  for (unsigned k : {1u, 2u, 5u, 9u}) {
    for (bool with_eq : {false, true}) {
      for (int with_terms : {0, 1, 2}) {
        CAPTURE(k, with_eq, with_terms);
        Instance in(k, 3, with_eq, rng);
        if (with_terms == 1)  // f0 f1 + 5 f2, f2 unmasked (a table the verifier knows)
          in.inst.terms = {{Fp2::one(), {0, 1}}, {Fp2::from_u64(5), {2}}};
        if (with_terms == 2)  // f0 f2 - 3 f1 f2 + 7 f2: masked factors times an unmasked one (a selector)
          in.inst.terms = {{Fp2::one(), {0, 2}}, {-Fp2::from_u64(3), {1, 2}}, {Fp2::from_u64(7), {2}}};
        std::vector<std::vector<Fp>> R = {random_entries(size_t(1) << k, rng), random_entries(size_t(1) << k, rng)};
        sc::MaskedInstance mi{in.inst, {R[0], R[1], {}}};
        // Variant 2 masks f0 with an F_{p^2} table (an affine mask's, stage 5).
        std::vector<Fp2> R0_2(R[0].size());
        for (size_t i = 0; i < R0_2.size(); ++i) R0_2[i] = Fp2(R[0][i], R[1][i]);
        if (with_terms == 2) mi.masks[0] = std::span<const Fp2>(R0_2);
        const auto degrees = sc::masked_degrees(mi);
        CHECK(degrees[0] == (with_terms == 0 ? 7u : with_terms == 1 ? 6u : 4u) + (with_eq ? 1u : 0u));
        const auto entries = random_entries(sc::mask_entries(degrees), rng);
        const Fp2 H = sc::compute_sum(in.inst);
        Transcript tp("zk-test");
        auto out = sc::prove_zk(mi, H, sc::Mask(entries, degrees), kNoRoot, tp);
        Transcript tv("zk-test");
        auto sub = sc::verify_zk(H, degrees, kNoRoot, out.proof, tv);
        INFO((sub.ok() ? std::string() : sub.error()));
        REQUIRE(sub.ok());
        // The factor values are f^_j(r) = f~_j(r) + c R~_j(r): the masked ones differ
        // from f~_j(r), and the final check holds with them.
        const Fp2 c = sc::mask_factor(sub->point);
        for (size_t j = 0; j < 3; ++j) {
          Fp2 expect = zks::poly::evaluate(std::span<const Fp>(in.tables[j]), sub->point);
          if (j == 0 && with_terms == 2) expect += c * zks::poly::evaluate(std::span<const Fp2>(R0_2), sub->point);
          else if (j < 2) expect += c * zks::poly::evaluate(std::span<const Fp>(R[j]), sub->point);
          CHECK(out.factor_evals[j] == expect);
        }
        CHECK(sc::check_final(*sub, out.factor_evals, in.eq_point, in.inst.terms).ok());
        CHECK(tv.state() == tp.state());
      }
    }
  }
}

TEST_CASE("a changed masked sumcheck is rejected", "[sumcheck][zk][tamper]") {
  std::mt19937_64 rng(4);
  Instance in(6, 2, true, rng);
  const auto R = random_entries(64, rng);
  sc::MaskedInstance mi{in.inst, {R, {}}};
  const auto degrees = sc::masked_degrees(mi);
  const auto entries = random_entries(sc::mask_entries(degrees), rng);
  const sc::Mask mask(entries, degrees);
  const Fp2 H = sc::compute_sum(in.inst);
  Transcript tp("zk-test");
  const auto out = sc::prove_zk(mi, H, mask, kNoRoot, tp);
  auto verdict = [&](const Fp2& claim, const sc::ZkProof& p, std::span<const unsigned> deg) -> zks::Status {
    Transcript tv("zk-test");
    auto sub = sc::verify_zk(claim, deg, kNoRoot, p, tv);
    if (!sub.ok()) return zks::make_error(sub.error());
    return sc::check_final(*sub, out.factor_evals, in.eq_point);
  };
  REQUIRE(verdict(H, out.proof, degrees).ok());
  CHECK_FALSE(verdict(H + Fp2::one(), out.proof, degrees).ok());
  auto p = out.proof;
  p.mask_sum += Fp2::one();
  CHECK_FALSE(verdict(H, p, degrees).ok());
  p = out.proof;
  p.final_mask += Fp2::one();
  CHECK_FALSE(verdict(H, p, degrees).ok());
  for (size_t i : {size_t(0), size_t(3), size_t(5)})
    for (size_t x = 0; x < degrees[i]; ++x) {
      p = out.proof;
      p.rounds.rounds[i][x] += Fp2::one();
      CAPTURE(i, x);
      CHECK_FALSE(verdict(H, p, degrees).ok());
    }
  // Another mask table's root in the statement changes rho: rejected.
  {
    zks::hash::Digest other{};
    other[0] = 1;
    Transcript tv("zk-test");
    auto sub = sc::verify_zk(H, degrees, other, out.proof, tv);
    CHECK(!(sub.ok() && sc::check_final(*sub, out.factor_evals, in.eq_point).ok()));
  }
  // Another shape (round 0 read at the unmasked degree) is refused.
  CHECK_FALSE(verdict(H, out.proof, sc::uniform_degrees(6, degrees[1])).ok());
  // A prover holding a false sum, running the protocol honestly otherwise.
  Transcript tf("zk-test");
  const auto lie = sc::prove_zk(mi, H + Fp2::one(), mask, kNoRoot, tf);
  CHECK_FALSE(verdict(H + Fp2::one(), lie.proof, degrees).ok());
  // Serialization round trips; truncation and bad shapes are refused with a reason.
  zks::util::ByteWriter w;
  out.proof.write(w);
  const auto bytes = w.take();
  zks::util::ByteReader rd(bytes);
  auto back = sc::ZkProof::read(rd, degrees);
  REQUIRE(back.ok());
  CHECK(rd.remaining() == 0);
  CHECK(verdict(H, *back, degrees).ok());
  zks::util::ByteReader shortr(std::span<const uint8_t>(bytes).first(bytes.size() - 1));
  CHECK_FALSE(sc::ZkProof::read(shortr, degrees).ok());
  zks::util::ByteReader again(bytes);
  const std::vector<unsigned> absurd = {0, 2};
  auto refused = sc::ZkProof::read(again, absurd);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error(), Catch::Contains("degree 0"));
}

TEST_CASE("masked sumchecks prove f^(r) and g(r) on hiding commitments, in one opening", "[sumcheck][zk][pcs]") {
  // Two factor tables committed hiding (their R masks the evaluations), one mask table
  // (committed before the first challenge) with a slice for each of two sumchecks, and
  // one hiding opening of every claim: f^_j(r) as masked claims, each g(r) as a
  // weighted claim at its slice's offset.
  std::mt19937_64 rng(5);
  const auto params = pcs::Params::standard();
  const unsigned k = pcs::kMinHidingVars;
  const size_t n = size_t(1) << k;
  std::vector<std::vector<Fp>> f = {random_entries(n, rng), random_entries(n, rng)};
  std::vector<pcs::CommittedPoly> committed;
  for (uint8_t j = 0; j < 2; ++j) {
    pcs::Seed seed{};
    seed.fill(uint8_t(j + 1));
    auto c = pcs::commit_hiding(f[j], seed, params);
    REQUIRE(c.ok());
    committed.push_back(std::move(*c));
  }
  auto R = [&](size_t j) { return committed[j].evaluations().subspan(n); };
  // Sumcheck a: sum eq(z, x) f0(x) f1(x); sumcheck b: sum f1(x) (f1 masked again).
  std::vector<Fp2> z;
  for (unsigned i = 0; i < k; ++i) z.push_back(rand2(rng));
  sc::MaskedInstance a{{{std::span<const Fp>(f[0]), std::span<const Fp>(f[1])}, {}, z}, {R(0), R(1)}};
  sc::MaskedInstance b{{{std::span<const Fp>(f[1])}, {}, {}}, {R(1)}};
  const auto da = sc::masked_degrees(a), db = sc::masked_degrees(b);
  const size_t off_b = sc::mask_entries(da);
  pcs::Seed mask_seed{};
  mask_seed.fill(9);
  auto mask_table = pcs::commit_hiding(random_entries(off_b + sc::mask_entries(db), rng), mask_seed, params);
  REQUIRE(mask_table.ok());
  const auto entries = mask_table->evaluations();
  const size_t mask_values = size_t(1) << (mask_table->num_vars() - 1);
  const auto mask_root = mask_table->commitment().root;

  // The final masks' claims: rho g(r) at each slice's offset.
  struct End {
    std::vector<Fp2> point;
    Fp2 rho, final_mask;
  };
  auto mask_claim = [&](const End& e, std::span<const unsigned> deg, size_t off) {
    pcs::Claim c{2, {}, e.final_mask, std::vector<Fp2>(mask_values, Fp2::zero())};
    const auto w = sc::final_mask_weights(deg, e.rho, e.point);
    std::copy(w.begin(), w.end(), c.weights.begin() + static_cast<long>(off));
    return c;
  };
  auto claims_of = [&](const End& ea, std::span<const Fp2> fa, const End& eb, std::span<const Fp2> fb) {
    std::vector<pcs::Claim> out;
    for (size_t j = 0; j < 2; ++j) out.push_back(*pcs::masked_claim(j, ea.point, fa[j]));
    out.push_back(*pcs::masked_claim(1, eb.point, fb[0]));
    out.push_back(mask_claim(ea, da, 0));
    out.push_back(mask_claim(eb, db, off_b));
    return out;
  };

  Transcript tp("zk-e2e");
  tp.absorb("mask.root", mask_table->commitment().root);
  const auto oa = sc::prove_zk(a, sc::compute_sum(a.inst), sc::Mask(entries.subspan(0, off_b), da), mask_root, tp);
  const auto ob = sc::prove_zk(b, sc::compute_sum(b.inst), sc::Mask(entries.subspan(off_b, sc::mask_entries(db)), db), mask_root, tp);
  const auto claims = claims_of({oa.point, oa.rho, oa.proof.final_mask}, oa.factor_evals,
                                {ob.point, ob.rho, ob.proof.final_mask}, ob.factor_evals);
  std::vector<const pcs::CommittedPoly*> ptrs = {&committed[0], &committed[1], &*mask_table};
  pcs::Seed open_seed{};
  open_seed.fill(3);
  auto opening = pcs::open_hiding(ptrs, claims, tp, params, open_seed);
  REQUIRE(opening.ok());
  std::vector<pcs::Commitment> comms = {committed[0].commitment(), committed[1].commitment(),
                                        mask_table->commitment()};

  // The verifier: the sums (public here), the proofs, the factor values the prover
  // sends, and the opening of the claims it builds itself.
  auto verify_all = [&](std::span<const Fp2> fa, std::span<const Fp2> fb, const sc::ZkProof& pa) -> zks::Status {
    Transcript tv("zk-e2e");
    tv.absorb("mask.root", mask_table->commitment().root);
    auto sa = sc::verify_zk(sc::compute_sum(a.inst), da, mask_root, pa, tv);
    if (!sa.ok()) return zks::make_error(sa.error());
    ZK_TRY(sc::check_final(*sa, fa, z));
    auto sb = sc::verify_zk(sc::compute_sum(b.inst), db, mask_root, ob.proof, tv);
    if (!sb.ok()) return zks::make_error(sb.error());
    ZK_TRY(sc::check_final(*sb, fb, {}));
    const auto cl = claims_of({sa->point, sa->rho, pa.final_mask}, fa, {sb->point, sb->rho, ob.proof.final_mask}, fb);
    return pcs::verify_hiding(comms, cl, *opening, tv, params);
  };
  auto st = verify_all(oa.factor_evals, ob.factor_evals, oa.proof);
  INFO(st.error());
  REQUIRE(st.ok());
  // The values shown are not the tables' evaluations: f^(r) != f~(r).
  CHECK(oa.factor_evals[0] != committed[0].evaluate([&] {
    auto p = oa.point;
    p.push_back(Fp2::zero());
    return p;
  }()));
  // A changed factor value fails the final check; one changed with the sum kept (the
  // other factor scaled to match) fails the opening; so does a changed g(r).
  auto fa = oa.factor_evals;
  fa[0] += Fp2::one();
  CHECK_FALSE(verify_all(fa, ob.factor_evals, oa.proof).ok());
  fa = oa.factor_evals;
  fa[0] = fa[0] + fa[0];
  fa[1] = fa[1] * Fp2::from_u64(2).inverse();
  REQUIRE(sc::check_final(sc::SubClaim{oa.point, oa.factor_evals[0] * oa.factor_evals[1]}, fa, {}).ok());
  CHECK_FALSE(verify_all(fa, ob.factor_evals, oa.proof).ok());
  auto lied = oa.proof;
  lied.final_mask += Fp2::one();
  CHECK_FALSE(verify_all(oa.factor_evals, ob.factor_evals, lied).ok());
}

TEST_CASE("a value passed between gadgets stays masked: the maker proves it with a secret offset",
          "[sumcheck][zk][pcs]") {
  // acc[o] = sum_x W[x, o] X[x] is not committed (a linear op's output). Its reader
  // proves sum_o eq(tau, o) (acc(o) - Y(o)) = 0 with acc masked by a small affine mask S
  // from the mask table (an F_{p^2} mask table), and shows acc^(r_o) = acc(r_o) + c S(r_o).
  // Its maker proves sum_x W(x, r_o) X(x) + K = acc^(r_o) with K = c S(r_o) secret: the
  // final mask rho g(r') + K 2^-k is one weighted claim on the mask table with both
  // weights. W(., r_o) is masked by R_W folded at r_o (another F_{p^2} mask table).
  std::mt19937_64 rng(8);
  const auto params = pcs::Params::standard();
  const unsigned kx = pcs::kMinHidingVars, ko = 4;
  const size_t nx = size_t(1) << kx, no = size_t(1) << ko;
  const auto X = random_entries(nx, rng);
  std::vector<Fp> W(nx * no);
  for (auto& w : W) w = Fp(rng() % 1000);
  std::vector<Fp> acc(no, Fp::zero());
  for (size_t o = 0; o < no; ++o)
    for (size_t x = 0; x < nx; ++x) acc[o] += W[x + nx * o] * X[x];
  auto commit = [&](std::span<const Fp> v, uint8_t seed) {
    pcs::Seed s{};
    s.fill(seed);
    return pcs::commit_hiding(v, s, params).value();
  };
  std::vector<pcs::CommittedPoly> c;
  c.push_back(commit(W, 1));    // 0: W (x low, o high)
  c.push_back(commit(X, 2));    // 1: X
  c.push_back(commit(acc, 3));  // 2: Y = acc, committed (2^13 values, the first 16 real)
  // The mask table: the reader's g, the maker's g, then S.
  const auto tau = [&] {
    std::vector<Fp2> v;
    for (unsigned i = 0; i < ko; ++i) v.push_back(rand2(rng));
    return v;
  }();
  auto values_of = [&](size_t j) { return c[j].evaluations().first(c[j].evaluations().size() / 2); };
  auto mask_of = [&](size_t j) { return c[j].evaluations().subspan(c[j].evaluations().size() / 2); };
  std::vector<Fp2> S_dummy(no);  // shapes only, to size the reader's mask
  sc::MaskedInstance reader{{{std::span<const Fp>(acc), values_of(2).first(no)},
                             {{Fp2::one(), {0}}, {-Fp2::one(), {1}}},
                             tau},
                            {std::span<const Fp2>(S_dummy), mask_of(2).first(no)}};
  const auto d_reader = sc::masked_degrees(reader);
  const size_t off_maker = sc::mask_entries(d_reader);
  std::vector<Fp2> Wr_dummy(nx);
  sc::MaskedInstance maker{{{std::span<const Fp2>(Wr_dummy), values_of(1)}, {}, {}},
                           {std::span<const Fp2>(Wr_dummy), mask_of(1)}};
  const auto d_maker = sc::masked_degrees(maker);
  const size_t off_S = off_maker + sc::mask_entries(d_maker);
  const auto mask_entries_all = random_entries(off_S + sc::affine_mask_entries(ko), rng);
  c.push_back(commit(mask_entries_all, 4));  // 3: the mask table
  const auto T = values_of(3);
  const auto mask_root = c[3].commitment().root;
  const auto S_table = sc::affine_mask_table(T.subspan(off_S, sc::affine_mask_entries(ko)), ko);

  // The prover: the reader's sumcheck, then the maker's.
  Transcript tp("zk-chain");
  for (auto& ci : c) tp.absorb("root", ci.commitment().root);
  reader.masks[0] = std::span<const Fp2>(S_table);
  const auto orr = sc::prove_zk(reader, Fp2::zero(), sc::Mask(T.subspan(0, off_maker), d_reader), mask_root, tp);
  const auto& r_o = orr.point;
  const Fp2 acc_masked = orr.factor_evals[0];  // acc^(r_o): what the maker must prove
  const Fp2 c_o = sc::mask_factor(r_o);
  Fp2 S_ro = Fp2::zero();  // S(r_o) from the table's coefficients
  const auto ws_ro = sc::affine_mask_weights(r_o);
  for (size_t i = 0; i < ws_ro.size(); ++i) S_ro += ws_ro[i] * Fp2(T[off_S + i]);
  CHECK(S_ro == zks::poly::evaluate(std::span<const Fp2>(S_table), r_o));  // the table is S's
  const Fp2 K = c_o * S_ro;
  auto fold_high = [&](std::span<const Fp> table) {  // t(x, r_o) over x
    const auto e = zks::poly::eq_table(r_o);
    std::vector<Fp2> out(nx, Fp2::zero());
    for (size_t o = 0; o < no; ++o)
      for (size_t x = 0; x < nx; ++x) out[x] += e[o] * table[x + nx * o];
    return out;
  };
  const auto W_r = fold_high(values_of(0)), RW_r = fold_high(mask_of(0));
  maker.inst.factors[0] = std::span<const Fp2>(W_r);
  maker.masks[0] = std::span<const Fp2>(RW_r);
  const auto om = sc::prove_zk(maker, acc_masked, sc::Mask(T.subspan(off_maker, off_S - off_maker), d_maker), mask_root, tp, K);

  // The claims (the verifier builds the same from what it drew and what the proofs show).
  // s_weight scales S's weights in the maker's claim (1: honest; the tests of a verifier
  // that leaves them out or scales them wrongly pass others).
  auto claims_of = [&](const std::vector<Fp2>& ro, const Fp2& rho1, const Fp2& fm1, std::span<const Fp2> f1,
                       const std::vector<Fp2>& rx, const Fp2& rho2, const Fp2& fm2, std::span<const Fp2> f2,
                       const Fp2& s_weight = Fp2::one()) {
    std::vector<pcs::Claim> out;
    std::vector<Fp2> y_point = ro;
    y_point.resize(kx, Fp2::zero());                                  // Y's value table has 2^13 entries
    out.push_back(*pcs::masked_claim(2, y_point, f1[1]));             // Y^(r_o)
    std::vector<Fp2> w_point = rx;
    w_point.insert(w_point.end(), ro.begin(), ro.end());
    out.push_back(*pcs::masked_claim(0, w_point, f2[0]));             // W^(r', r_o)
    out.push_back(*pcs::masked_claim(1, rx, f2[1]));                  // X^(r')
    const size_t mask_values = T.size();
    pcs::Claim g1{3, {}, fm1, std::vector<Fp2>(mask_values, Fp2::zero())};
    const auto w1 = sc::final_mask_weights(d_reader, rho1, ro);
    std::copy(w1.begin(), w1.end(), g1.weights.begin());
    pcs::Claim g2{3, {}, fm2, std::vector<Fp2>(mask_values, Fp2::zero())};
    const auto w2 = sc::final_mask_weights(d_maker, rho2, rx);
    std::copy(w2.begin(), w2.end(), g2.weights.begin() + static_cast<long>(off_maker));
    const Fp2 k_scale = s_weight * sc::mask_factor(ro) * Fp2(Fp(uint64_t(1) << kx).inverse());  // K 2^-k = c S(r_o) 2^-k
    const auto ws = sc::affine_mask_weights(ro);
    for (size_t i = 0; i < ws.size(); ++i) g2.weights[off_S + i] += k_scale * ws[i];
    out.push_back(std::move(g1));
    out.push_back(std::move(g2));
    return out;
  };
  std::vector<const pcs::CommittedPoly*> ptrs;
  for (auto& ci : c) ptrs.push_back(&ci);
  pcs::Seed open_seed{};
  open_seed.fill(7);
  auto opening = pcs::open_hiding(ptrs, claims_of(r_o, orr.rho, orr.proof.final_mask, orr.factor_evals, om.point, om.rho,
                                                  om.proof.final_mask, om.factor_evals),
                                  tp, params, open_seed);
  REQUIRE(opening.ok());

  auto verify_all = [&](const sc::ZkProof& p1, std::span<const Fp2> f1, const sc::ZkProof& p2, std::span<const Fp2> f2,
                        const Fp2& s_weight = Fp2::one()) -> zks::Status {
    Transcript tv("zk-chain");
    for (auto& ci : c) tv.absorb("root", ci.commitment().root);
    auto s1 = sc::verify_zk(Fp2::zero(), d_reader, mask_root, p1, tv);
    if (!s1.ok()) return zks::make_error(s1.error());
    ZK_TRY(sc::check_final(*s1, f1, tau, reader.inst.terms));
    auto s2 = sc::verify_zk(f1[0], d_maker, mask_root, p2, tv);  // the maker proves the reader's acc^(r_o)
    if (!s2.ok()) return zks::make_error(s2.error());
    ZK_TRY(sc::check_final(*s2, f2, {}));
    std::vector<pcs::Commitment> comms;
    for (auto& ci : c) comms.push_back(ci.commitment());
    return pcs::verify_hiding(
        comms, claims_of(s1->point, s1->rho, p1.final_mask, f1, s2->point, s2->rho, p2.final_mask, f2, s_weight),
        *opening, tv, params);
  };
  auto st = verify_all(orr.proof, orr.factor_evals, om.proof, om.factor_evals);
  INFO(st.error());
  REQUIRE(st.ok());
  // A verifier that leaves S's weights out of the maker's claim, or scales them wrongly,
  // rejects the honest proof (so the test above checks those weights).
  CHECK_FALSE(verify_all(orr.proof, orr.factor_evals, om.proof, om.factor_evals, Fp2::zero()).ok());
  CHECK_FALSE(verify_all(orr.proof, orr.factor_evals, om.proof, om.factor_evals, Fp2::from_u64(2)).ok());
  // acc(r_o) itself is never shown: the value passed on is masked by c S(r_o).
  CHECK(acc_masked != zks::poly::evaluate(std::span<const Fp>(acc), r_o));
  // A changed value passed on, a changed final mask, a changed offset are rejected.
  auto f1 = orr.factor_evals;
  f1[0] += Fp2::one();
  CHECK_FALSE(verify_all(orr.proof, f1, om.proof, om.factor_evals).ok());
  auto p2 = om.proof;
  p2.final_mask += Fp2::one();
  CHECK_FALSE(verify_all(orr.proof, orr.factor_evals, p2, om.factor_evals).ok());
  Transcript t_bad("zk-chain");
  for (auto& ci : c) t_bad.absorb("root", ci.commitment().root);
  (void)sc::prove_zk(reader, Fp2::zero(), sc::Mask(T.subspan(0, off_maker), d_reader), mask_root, t_bad);
  const auto wrong_k =
      sc::prove_zk(maker, acc_masked, sc::Mask(T.subspan(off_maker, off_S - off_maker), d_maker), mask_root, t_bad,
                   K + Fp2::one());
  CHECK_FALSE(verify_all(orr.proof, orr.factor_evals, wrong_k.proof, wrong_k.factor_evals).ok());
}

// Round 0's own path for terms U B (a maker's M(r, .) x, a zerocheck's reads times its
// selector) against the general product of coefficient polynomials, on random tables of
// each shape it takes, and shapes it must leave to the general path.
TEST_CASE("round 0 of U B terms equals the general path", "[sumcheck][zk]") {
  std::mt19937_64 rng(11);
  const unsigned k = 6;
  const size_t n = size_t(1) << k;
  std::vector<std::vector<Fp>> base;
  std::vector<std::vector<Fp2>> ext;
  auto fp = [&] { return std::span<const Fp>(base.emplace_back(random_entries(n, rng))); };
  auto fp2 = [&] {
    auto& t = ext.emplace_back(n);
    for (auto& x : t) x = rand2(rng);
    return std::span<const Fp2>(t);
  };
  base.reserve(64), ext.reserve(64);
  const std::span<const Fp> none;
  struct Shape {
    const char* name;
    std::vector<sc::Table> factors, masks;
    std::vector<sc::Term> terms;
  };
  const Fp2 g = rand2(rng);
  std::vector<Shape> shapes = {
      // a maker: sum_j M_j(r, .) x_j, M_j in F_{p^2}, x_j masked
      {"maker", {fp2(), fp(), fp2(), fp()}, {none, fp(), none, fp()}, {{Fp2::one(), {0, 1}}, {Fp2::one(), {2, 3}}}},
      // a zerocheck's reads times its selector, F_{p^2} coefficients, a read alone
      {"reads", {fp(), fp(), fp()}, {fp(), fp(), none}, {{g, {0, 2}}, {-Fp2::from_u64(3), {2, 1}}, {g * g, {1}}}},
      // the product of every factor (no terms), B unmasked
      {"implicit", {fp(), fp2()}, {none, none}, {}},
  };
  for (const auto& sh : shapes) {
    for (bool with_eq : {false, true}) {
      CAPTURE(sh.name, with_eq);
      sc::MaskedInstance mi;
      mi.inst.factors = sh.factors, mi.inst.terms = sh.terms, mi.masks = sh.masks;
      std::vector<Fp2> e;
      if (with_eq) {
        std::vector<Fp2> z;
        for (unsigned i = 1; i < k; ++i) z.push_back(rand2(rng));
        e = zks::poly::eq_table(z);
      }
      const unsigned D = sc::masked_degrees(mi)[0] + (with_eq ? 1 : 0);
      const auto fast = sc::detail::round0_values(mi, e, D);
      const auto general = sc::detail::round0_values(mi, e, D, true);
      REQUIRE(fast.size() == D + 1);
      CHECK(fast == general);
      // A changed entry of B's mask changes the values: the path reads it.
      if (!std::get<std::span<const Fp>>(sh.masks[0]).empty()) {
        auto& m0 = base.emplace_back(std::get<std::span<const Fp>>(sh.masks[0]).begin(),
                                     std::get<std::span<const Fp>>(sh.masks[0]).end());
        m0[3] += Fp::one();
        mi.masks[0] = std::span<const Fp>(m0);
        CHECK(sc::detail::round0_values(mi, e, D) != fast);
        CHECK(sc::detail::round0_values(mi, e, D) == sc::detail::round0_values(mi, e, D, true));
      }
    }
  }
}

// Round 0's general path against its definition, computed here entry by entry: terms
// with repeated factors, F_{p^2} tables and masks, a constant term, factors zero past a
// prefix (a lookup's zero-extended tables, which the path skips), with and without eq.
TEST_CASE("round 0's general path equals its definition", "[sumcheck][zk]") {
  std::mt19937_64 rng(12);
  const unsigned k = 5;
  const size_t n = size_t(1) << k, half = n / 2;
  std::vector<Fp> b0 = random_entries(n, rng), b1 = random_entries(n, rng), r0 = random_entries(n, rng);
  std::vector<Fp> short_b(n, Fp::zero()), short_r(n, Fp::zero());  // zero past 11 entries
  for (size_t i = 0; i < 11; ++i) short_b[i] = Fp(rng()), short_r[i] = Fp(rng());
  std::vector<Fp2> e0(n), er(n), short_e(n, Fp2::zero());
  for (auto& x : e0) x = rand2(rng);
  for (auto& x : er) x = rand2(rng);
  for (size_t i = 0; i < 6; ++i) short_e[i] = rand2(rng);
  sc::MaskedInstance mi;
  mi.inst.factors = {std::span<const Fp>(b0), std::span<const Fp>(b1), std::span<const Fp2>(e0),
                     std::span<const Fp>(short_b), std::span<const Fp2>(short_e)};
  mi.masks = {std::span<const Fp>(r0), std::span<const Fp>(), std::span<const Fp2>(er), std::span<const Fp>(short_r),
              std::span<const Fp>()};
  const Fp2 g = rand2(rng);
  mi.inst.terms = {{g, {0, 2}},       {Fp2::one(), {0, 0, 1}}, {-g, {2, 3, 1}}, {Fp2::from_u64(9), {}},
                   {g * g, {4, 0}},   {Fp2::one(), {3}},       {g, {2, 4, 2}}};
  // f^_j(X, x') by its definition.
  auto hat = [&](size_t j, const Fp2& X, size_t x) {
    auto at = [](const sc::Table& t, size_t i) {
      return std::visit([i](auto span) { return span.empty() ? Fp2::zero() : Fp2(span[i]); }, t);
    };
    const Fp2 one = Fp2::one();
    const Fp2 fv = (one - X) * at(mi.inst.factors[j], 2 * x) + X * at(mi.inst.factors[j], 2 * x + 1);
    const Fp2 rv = (one - X) * at(mi.masks[j], 2 * x) + X * at(mi.masks[j], 2 * x + 1);
    return fv + X * (one - X) * rv;
  };
  for (bool with_eq : {false, true}) {
    CAPTURE(with_eq);
    std::vector<Fp2> e;
    if (with_eq)
      for (size_t x = 0; x < half; ++x) e.push_back(rand2(rng));
    const unsigned D = 8;
    const auto got = sc::detail::round0_values(mi, e, D, true);
    REQUIRE(got.size() == D + 1);
    for (unsigned X = 0; X <= D; ++X) {
      Fp2 want = Fp2::zero();
      for (size_t x = 0; x < half; ++x) {
        Fp2 sum = Fp2::zero();
        for (const auto& t : mi.inst.terms) {
          Fp2 prod = t.coeff;
          for (unsigned j : t.factors) prod *= hat(j, Fp2::from_u64(X), x);
          sum += prod;
        }
        want += (with_eq ? e[x] : Fp2::one()) * sum;
      }
      CHECK(got[X] == want);
    }
  }
}
