// Zero knowledge, stage 2: the sumcheck with a Libra mask (sumcheck/zk.hpp).
// Completeness for several shapes, the mask's sum and value by brute force, the count
// that makes the rounds uniform (the map from the mask's coefficients to what the
// rounds show has full rank, challenges fixed), tampering, and the whole path: two
// masked sumchecks whose g(r) are weighted claims on one hiding mask table.

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
        const auto entries = random_entries(sc::mask_entries(k, in.inst.degree()), rng);
        const sc::Mask mask(entries, k, in.inst.degree());
        const Fp2 H = sc::compute_sum(in.inst);
        Transcript tp("zk-test");
        sc::Prover prover(in.inst);
        auto out = sc::prove_zk(prover, H, mask, tp);
        CHECK(out.proof.mask_value == inner(entries, sc::mask_weights(k, in.inst.degree(), out.point)));
        Transcript tv("zk-test");
        auto sub = sc::verify_zk(H, k, in.inst.degree(), out.proof, tv);
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
  const auto entries = random_entries(sc::mask_entries(k, D), rng);
  const sc::Mask mask(entries, k, D);
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
      const size_t entries = sc::mask_entries(k, D);
      std::vector<std::vector<Fp2>> rows;  // one row an entry: the F_p components it adds to what is shown
      for (size_t q = 0; q < entries; ++q) {
        std::vector<Fp> e(entries, Fp::zero());
        e[q] = Fp::one();
        const sc::Mask mask(e, k, D);
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

TEST_CASE("a changed masked sumcheck is rejected", "[sumcheck][zk][tamper]") {
  std::mt19937_64 rng(4);
  Instance in(6, 2, true, rng);
  const unsigned D = in.inst.degree();
  const auto entries = random_entries(sc::mask_entries(6, D), rng);
  const sc::Mask mask(entries, 6, D);
  const Fp2 H = sc::compute_sum(in.inst);
  Transcript tp("zk-test");
  sc::Prover prover(in.inst);
  const auto out = sc::prove_zk(prover, H, mask, tp);
  auto verdict = [&](const Fp2& claim, const sc::ZkProof& p) -> zks::Status {
    Transcript tv("zk-test");
    auto sub = sc::verify_zk(claim, 6, D, p, tv);
    if (!sub.ok()) return zks::make_error(sub.error());
    return in.check(*sub);
  };
  REQUIRE(verdict(H, out.proof).ok());
  CHECK_FALSE(verdict(H + Fp2::one(), out.proof).ok());
  auto p = out.proof;
  p.mask_sum += Fp2::one();
  CHECK_FALSE(verdict(H, p).ok());
  p = out.proof;
  p.mask_value += Fp2::one();
  CHECK_FALSE(verdict(H, p).ok());
  for (size_t i : {size_t(0), size_t(3), size_t(5)})
    for (size_t x = 0; x < D; ++x) {
      p = out.proof;
      p.rounds.rounds[i][x] += Fp2::one();
      CAPTURE(i, x);
      CHECK_FALSE(verdict(H, p).ok());
    }
  // A prover holding a false sum, running the protocol honestly otherwise.
  Transcript tf("zk-test");
  sc::Prover cheat(in.inst);
  const auto lie = sc::prove_zk(cheat, H + Fp2::one(), mask, tf);
  CHECK_FALSE(verdict(H + Fp2::one(), lie.proof).ok());
  // Serialization round trips; truncation is refused with a reason.
  zks::util::ByteWriter w;
  out.proof.write(w);
  const auto bytes = w.take();
  zks::util::ByteReader rd(bytes);
  auto back = sc::ZkProof::read(rd, 6, D);
  REQUIRE(back.ok());
  CHECK(verdict(H, *back).ok());
  zks::util::ByteReader shortr(std::span<const uint8_t>(bytes).first(bytes.size() - 1));
  CHECK_FALSE(sc::ZkProof::read(shortr, 6, D).ok());
}

TEST_CASE("two masked sumchecks prove g(r) as weighted claims on one hiding mask table", "[sumcheck][zk][pcs]") {
  // One mask table a proof (committed before the first challenge), each sumcheck a
  // slice of it at an offset; each g(r) a weighted claim on it, opened with a hiding
  // opening.
  std::mt19937_64 rng(5);
  const auto params = pcs::Params::standard();
  Instance a(9, 2, true, rng), b(7, 3, false, rng);
  const unsigned Da = a.inst.degree(), Db = b.inst.degree();
  const size_t off_b = sc::mask_entries(9, Da);
  const auto table = random_entries(off_b + sc::mask_entries(7, Db), rng);
  pcs::Seed seed{};
  seed.fill(9);
  auto committed = pcs::commit_hiding(table, seed, params);
  REQUIRE(committed.ok());
  const auto values = committed->evaluations().first(size_t(1) << (committed->num_vars() - 1));

  Transcript tp("zk-e2e");
  tp.absorb("mask.root", committed->commitment().root);
  sc::Prover pa(a.inst), pb(b.inst);
  const auto oa = sc::prove_zk(pa, sc::compute_sum(a.inst), sc::Mask(values.subspan(0, off_b), 9, Da), tp);
  const auto ob =
      sc::prove_zk(pb, sc::compute_sum(b.inst), sc::Mask(values.subspan(off_b, sc::mask_entries(7, Db)), 7, Db), tp);
  // The claims: weights at each slice's offset, zero elsewhere.
  auto claim_of = [&](const sc::ZkProof& p, const std::vector<Fp2>& point, unsigned k, unsigned D, size_t off) {
    pcs::Claim c{0, {}, p.mask_value, std::vector<Fp2>(values.size(), Fp2::zero())};
    const auto w = sc::mask_weights(k, D, point);
    std::copy(w.begin(), w.end(), c.weights.begin() + static_cast<long>(off));
    return c;
  };
  std::vector<pcs::Claim> claims = {claim_of(oa.proof, oa.point, 9, Da, 0), claim_of(ob.proof, ob.point, 7, Db, off_b)};
  const pcs::CommittedPoly* ptr = &*committed;
  auto opening = pcs::open_hiding(std::span(&ptr, 1), claims, tp, params, seed);
  REQUIRE(opening.ok());

  auto verify_all = [&](const std::vector<pcs::Claim>& cl, const sc::ZkProof& pa_proof) -> zks::Status {
    Transcript tv("zk-e2e");
    tv.absorb("mask.root", committed->commitment().root);
    auto sa = sc::verify_zk(sc::compute_sum(a.inst), 9, Da, pa_proof, tv);
    if (!sa.ok()) return zks::make_error(sa.error());
    ZK_TRY(a.check(*sa));
    auto sb = sc::verify_zk(sc::compute_sum(b.inst), 7, Db, ob.proof, tv);
    if (!sb.ok()) return zks::make_error(sb.error());
    ZK_TRY(b.check(*sb));
    // The verifier builds the weights itself from the points it drew.
    std::vector<pcs::Claim> mine = {claim_of(pa_proof, sa->point, 9, Da, 0), claim_of(ob.proof, sb->point, 7, Db, off_b)};
    if (mine[0].weights != cl[0].weights || mine[1].weights != cl[1].weights)
      return zks::make_error("the weights differ from the verifier's");
    return pcs::verify_hiding(std::span(&committed->commitment(), 1), cl, *opening, tv, params);
  };
  auto st = verify_all(claims, oa.proof);
  INFO(st.error());
  REQUIRE(st.ok());
  // A g(r) that is not the table's: the sumcheck's final check moves with it, so the
  // lie must also be claimed on the table, where the opening rejects it.
  auto lied = oa.proof;
  lied.mask_value += Fp2::one();
  CHECK_FALSE(verify_all(claims, lied).ok());
  auto cl = claims;
  cl[0].value += Fp2::one();
  CHECK_FALSE(verify_all(cl, oa.proof).ok());
}
