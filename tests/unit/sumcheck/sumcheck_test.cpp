// Completeness and soundness of the generic sumcheck.
#include <catch2/catch.hpp>
#include <random>

#include "unit/support.hpp"

#include "field/field.hpp"
#include "poly/mle.hpp"
#include "sumcheck/sumcheck.hpp"
#include "util/thread_pool.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::transcript::Transcript;
namespace sc = zks::sumcheck;

namespace {
using zks::test::rand2;

struct Fixture {
  std::vector<std::vector<Fp>> tables;
  std::vector<Fp2> eq_point;
  sc::Instance inst;

  Fixture(unsigned k, unsigned d, bool with_eq, uint64_t seed) {
    std::mt19937_64 rng(seed);
    tables.assign(d, std::vector<Fp>(size_t(1) << k));
    for (auto& t : tables)
      for (auto& x : t) x = Fp(rng());
    if (with_eq)
      for (unsigned i = 0; i < k; ++i) eq_point.push_back(rand2(rng));
    for (auto& t : tables) inst.factors.push_back(std::span<const Fp>(t));
    inst.eq_point = eq_point;
  }

  // The honest verifier's full check: rounds, then the final evaluation against the
  // tables themselves (standing in for a commitment opening).
  zks::Status verify(const Fp2& claim, const sc::Proof& proof,
                     std::span<const Fp2> claimed_evals) const {
    Transcript t("sumcheck-test");
    auto sub = sc::verify(claim, inst.num_vars(), inst.degree(), proof, t);
    if (!sub.ok()) return zks::make_error(sub.error());
    for (size_t j = 0; j < tables.size(); ++j)
      if (claimed_evals[j] != zks::poly::evaluate(tables[j], sub->point))
        return zks::make_error("claimed evaluation differs from the table");
    return sc::check_final(*sub, claimed_evals, eq_point);
  }
};
}  // namespace

TEST_CASE("sumcheck is complete for d = 1..5 with and without eq", "[sumcheck]") {
  for (unsigned d = 1; d <= 5; ++d) {
    for (bool with_eq : {false, true}) {
      for (unsigned k : {0u, 1u, 2u, 5u, 9u}) {
        CAPTURE(d, with_eq, k);
        Fixture fx(k, d, with_eq, 100 * d + k + with_eq);
        Transcript t("sumcheck-test");
        auto out = sc::prove(fx.inst, t);
        REQUIRE(out.claimed_sum == sc::compute_sum(fx.inst));
        REQUIRE(out.proof.rounds.size() == k);
        auto st = fx.verify(out.claimed_sum, out.proof, out.factor_evals);
        REQUIRE(st.ok());
        // Prover and verifier transcripts end in the same state.
        Transcript tv("sumcheck-test");
        auto sub = sc::verify(out.claimed_sum, k, fx.inst.degree(), out.proof, tv);
        REQUIRE(sub.ok());
        REQUIRE(tv.state() == t.state());
        REQUIRE(sub->point == out.point);
      }
    }
  }
}

TEST_CASE("sumcheck over extension-field tables", "[sumcheck]") {
  std::mt19937_64 rng(5);
  unsigned k = 6;
  std::vector<Fp2> a(size_t(1) << k), b(size_t(1) << k);
  for (auto& x : a) x = rand2(rng);
  for (auto& x : b) x = rand2(rng);
  sc::Instance inst;
  inst.factors = {std::span<const Fp2>(a), std::span<const Fp2>(b)};
  Transcript t("ext");
  auto out = sc::prove(inst, t);
  Transcript tv("ext");
  auto sub = sc::verify(out.claimed_sum, k, 2, out.proof, tv);
  REQUIRE(sub.ok());
  std::vector<Fp2> evals = {zks::poly::evaluate(std::span<const Fp2>(a), sub->point),
                            zks::poly::evaluate(std::span<const Fp2>(b), sub->point)};
  REQUIRE(evals == out.factor_evals);
  REQUIRE(sc::check_final(*sub, evals, {}).ok());
}

TEST_CASE("sumcheck rejects a wrong claimed sum", "[sumcheck]") {
  for (bool with_eq : {false, true}) {
    Fixture fx(8, 3, with_eq, 7);
    Fp2 wrong = sc::compute_sum(fx.inst) + Fp2::one();
    Transcript t("sumcheck-test");
    auto out = sc::prove(fx.inst, wrong, t);
    // The prover's f_j(r) are true evaluations, so the last round cannot match.
    auto st = fx.verify(wrong, out.proof, out.factor_evals);
    REQUIRE_FALSE(st.ok());
    // An honest proof for the true sum does not verify against another claim.
    Transcript t2("sumcheck-test");
    auto honest = sc::prove(fx.inst, t2);
    REQUIRE_FALSE(fx.verify(wrong, honest.proof, honest.factor_evals).ok());
  }
}

TEST_CASE("sumcheck rejects any changed round polynomial value", "[sumcheck]") {
  Fixture fx(5, 2, true, 8);
  Transcript t("sumcheck-test");
  auto out = sc::prove(fx.inst, t);
  REQUIRE(fx.verify(out.claimed_sum, out.proof, out.factor_evals).ok());
  for (size_t round = 0; round < out.proof.rounds.size(); ++round) {
    for (size_t e = 0; e < out.proof.rounds[round].size(); ++e) {
      auto bad = out.proof;
      bad.rounds[round][e] += Fp2(Fp(1), Fp(2));
      CAPTURE(round, e);
      REQUIRE_FALSE(fx.verify(out.claimed_sum, bad, out.factor_evals).ok());
    }
  }
  SECTION("s(1) is not sent: a changed s(0) moves it too, and is still rejected") {
    REQUIRE(out.proof.rounds[2].size() == 3);  // s(0), s(2), s(3) of a degree-3 round
    auto bad = out.proof;
    bad.rounds[2][0] += Fp2::one();
    REQUIRE_FALSE(fx.verify(out.claimed_sum, bad, out.factor_evals).ok());
  }
  SECTION("a missing or extra round is rejected") {
    auto bad = out.proof;
    bad.rounds.pop_back();
    REQUIRE_FALSE(fx.verify(out.claimed_sum, bad, out.factor_evals).ok());
    bad = out.proof;
    bad.rounds.push_back(bad.rounds.back());
    REQUIRE_FALSE(fx.verify(out.claimed_sum, bad, out.factor_evals).ok());
    bad = out.proof;
    bad.rounds[0].push_back(Fp2::zero());
    REQUIRE_FALSE(fx.verify(out.claimed_sum, bad, out.factor_evals).ok());
  }
}

TEST_CASE("sumcheck rejects a wrong final evaluation", "[sumcheck]") {
  Fixture fx(6, 3, true, 9);
  Transcript t("sumcheck-test");
  auto out = sc::prove(fx.inst, t);
  Transcript tv("sumcheck-test");
  auto sub = sc::verify(out.claimed_sum, 6, fx.inst.degree(), out.proof, tv);
  REQUIRE(sub.ok());
  REQUIRE(sc::check_final(*sub, out.factor_evals, fx.eq_point).ok());
  for (size_t j = 0; j < out.factor_evals.size(); ++j) {
    auto evals = out.factor_evals;
    evals[j] += Fp2::one();
    REQUIRE_FALSE(sc::check_final(*sub, evals, fx.eq_point).ok());
  }
  // A wrong eq point (the verifier evaluates eq itself) is rejected too.
  auto z = fx.eq_point;
  z[0] += Fp2::one();
  REQUIRE_FALSE(sc::check_final(*sub, out.factor_evals, z).ok());
}

TEST_CASE("a proof made with a transcript that skipped a message is rejected", "[sumcheck]") {
  Fixture fx(6, 2, false, 10);
  Fp2 claim = sc::compute_sum(fx.inst);
  for (unsigned skipped = 0; skipped < 6; ++skipped) {
    // Drive the round prover by hand, leaving round `skipped` out of the transcript.
    sc::Prover prover(fx.inst);
    Transcript t("sumcheck-test");
    t.absorb_u64("sumcheck.shape", (uint64_t(6) << 32) | 2);
    t.absorb("sumcheck.claim", claim);
    sc::Proof proof;
    Fp2 cur = claim;
    for (unsigned i = 0; i < 6; ++i) {
      auto s = prover.round(cur);
      if (i != skipped) t.absorb("sumcheck.round", std::span<const Fp2>(s));
      Fp2 r = t.challenge("sumcheck.r");
      cur = sc::interpolate(s, r);
      prover.bind(r);
      proof.rounds.push_back(s);
    }
    CAPTURE(skipped);
    REQUIRE_FALSE(fx.verify(claim, proof, prover.factor_evals()).ok());
  }
}

TEST_CASE("sumcheck proofs serialize and refuse malformed bytes", "[sumcheck]") {
  Fixture fx(7, 2, true, 11);
  Transcript t("sumcheck-test");
  auto out = sc::prove(fx.inst, t);
  zks::util::ByteWriter w;
  out.proof.write(w);
  auto bytes = w.take();
  {
    zks::util::ByteReader r(bytes);
    auto p = sc::Proof::read(r, 7, 3);
    REQUIRE(p.ok());
    REQUIRE(p->rounds == out.proof.rounds);
    REQUIRE(r.at_end());
  }
  {
    zks::util::ByteReader r(std::span<const uint8_t>(bytes.data(), bytes.size() - 1));
    REQUIRE_THAT(sc::Proof::read(r, 7, 3).error(), Catch::Contains("truncated"));
  }
  REQUIRE(bytes.size() == 7 * 3 * zks::field::kFp2Bytes);  // the values alone: s(1) and the shape are not sent
  {
    zks::util::ByteReader r(bytes);
    REQUIRE_THAT(sc::Proof::read(r, 8, 3).error(), Catch::Contains("truncated"));
  }
  {
    // The shape is the reader's: a smaller one leaves bytes, which its caller refuses.
    zks::util::ByteReader r(bytes);
    REQUIRE(sc::Proof::read(r, 7, 2).ok());
    REQUIRE_FALSE(r.at_end());
  }
  {
    zks::util::ByteReader r(bytes);
    REQUIRE_THAT(sc::Proof::read(r, 7, 0).error(), Catch::Contains("out of range"));
  }
  {
    // A proof of no rounds is no bytes.
    zks::util::ByteWriter ew;
    sc::Proof{}.write(ew);
    REQUIRE(ew.take().empty());
    zks::util::ByteReader r(std::span<const uint8_t>{});
    REQUIRE(sc::Proof::read(r, 0, 3).ok());
  }
  {
    auto bad = bytes;
    for (int i = 0; i < 8; ++i) bad[i] = 0xff;  // first element = 2^64 - 1 >= p
    zks::util::ByteReader r(bad);
    REQUIRE_THAT(sc::Proof::read(r, 7, 3).error(), Catch::Contains("non-canonical"));
  }
}

TEST_CASE("interpolation recovers a polynomial from its values at 0..D", "[sumcheck]") {
  std::mt19937_64 rng(12);
  for (unsigned D = 0; D <= sc::kMaxDegree; ++D) {
    std::vector<Fp2> coeffs(D + 1);
    for (auto& c : coeffs) c = rand2(rng);
    auto eval = [&](const Fp2& x) {
      Fp2 acc = Fp2::zero();
      for (size_t i = coeffs.size(); i-- > 0;) acc = acc * x + coeffs[i];
      return acc;
    };
    std::vector<Fp2> vals;
    for (unsigned i = 0; i <= D; ++i) vals.push_back(eval(Fp2(Fp(i))));
    Fp2 r = rand2(rng);
    REQUIRE(sc::interpolate(vals, r) == eval(r));
    REQUIRE(sc::interpolate(vals, Fp2(Fp(D))) == vals[D]);
  }
}

TEST_CASE("large sumcheck agrees across thread counts", "[sumcheck]") {
  Fixture fx(15, 3, true, 13);
  zks::util::ThreadPool::set_global_threads(1);
  Transcript t1("sumcheck-test");
  auto a = sc::prove(fx.inst, t1);
  zks::util::ThreadPool::set_global_threads(3);
  Transcript t2("sumcheck-test");
  auto b = sc::prove(fx.inst, t2);
  zks::util::ThreadPool::set_global_threads(0);
  REQUIRE(a.proof.rounds == b.proof.rounds);
  REQUIRE(fx.verify(a.claimed_sum, a.proof, a.factor_evals).ok());
}

TEST_CASE("sumcheck over a sum of products (GKR fraction layer shape)", "[sumcheck]") {
  std::mt19937_64 rng(14);
  for (unsigned k : {0u, 1u, 4u, 13u}) {
    CAPTURE(k);
    size_t n = size_t(1) << k;
    std::vector<std::vector<Fp>> t(4, std::vector<Fp>(n));
    for (auto& v : t)
      for (auto& x : v) x = Fp(rng());
    Fp2 lambda = rand2(rng);
    sc::Instance inst;
    for (auto& v : t) inst.factors.push_back(std::span<const Fp>(v));
    // p0 q1 + p1 q0 + lambda q0 q1, plus a squared factor to exercise repeats.
    inst.terms = {{Fp2::one(), {0, 3}}, {Fp2::one(), {1, 2}}, {lambda, {2, 3}}, {Fp2(Fp(5)), {0, 0}}};
    for (unsigned i = 0; i < k; ++i) inst.eq_point.push_back(rand2(rng));
    const unsigned D = k > 0 ? 3 : 2;  // k = 0 has no eq factor
    REQUIRE(inst.degree() == D);
    Transcript tp("terms");
    auto out = sc::prove(inst, tp);
    Transcript tv("terms");
    auto sub = sc::verify(out.claimed_sum, k, D, out.proof, tv);
    REQUIRE(sub.ok());
    std::vector<Fp2> evals;
    for (auto& v : t) evals.push_back(zks::poly::evaluate(v, sub->point));
    REQUIRE(evals == out.factor_evals);
    REQUIRE(sc::check_final(*sub, evals, inst.eq_point, inst.terms).ok());
    // A changed term coefficient on the verifier's side is a different statement.
    auto terms = inst.terms;
    terms[2].coeff += Fp2::one();
    if (k > 0) REQUIRE_FALSE(sc::check_final(*sub, evals, inst.eq_point, terms).ok());
    // A false claim is rejected.
    Transcript tf("terms");
    auto forged = sc::prove(inst, out.claimed_sum + Fp2::one(), tf);
    Transcript tv2("terms");
    auto sub2 = sc::verify(out.claimed_sum + Fp2::one(), k, D, forged.proof, tv2);
    bool accepted = sub2.ok() && sc::check_final(*sub2, forged.factor_evals, inst.eq_point, inst.terms).ok();
    REQUIRE_FALSE(accepted);
  }
}

TEST_CASE("sumcheck with eq at a point with zero and one coordinates", "[sumcheck]") {
  // z_i = 0 takes the prover's path that cannot derive l(1) from the claim.
  Fixture fx(6, 2, true, 15);
  fx.eq_point[0] = Fp2::zero();
  fx.eq_point[3] = Fp2::zero();
  fx.eq_point[4] = Fp2::one();
  fx.inst.eq_point = fx.eq_point;
  Transcript t("sumcheck-test");
  auto out = sc::prove(fx.inst, t);
  REQUIRE(fx.verify(out.claimed_sum, out.proof, out.factor_evals).ok());
  auto bad = out.proof;
  bad.rounds[3].back() += Fp2::one();
  REQUIRE_FALSE(fx.verify(out.claimed_sum, bad, out.factor_evals).ok());
}
