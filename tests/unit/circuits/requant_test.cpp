// Requantization with saturation: witness semantics, completeness, tamper tests.
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "circuits/gadgets/requant.hpp"
#include "poly/mle.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::transcript::Transcript;
namespace c = zks::circuits;

namespace {

struct Case {
  c::RequantShape s;
  std::vector<int64_t> acc;
  std::vector<Fp> acc_f;
  c::RequantWitness w;

  Case(std::vector<uint32_t> dims, unsigned shift, unsigned excess_bits, int64_t acc_range, uint64_t seed) {
    s.shape = zks::poly::PaddedShape(std::move(dims)), s.shift = shift, s.excess_bits = excess_bits;
    std::mt19937_64 rng(seed);
    acc.assign(s.shape.padded_size(), 0);
    for (size_t x = 0; x < acc.size(); ++x)
      if (s.shape.is_real(x)) acc[x] = int64_t(rng() % uint64_t(2 * acc_range + 1)) - acc_range;
    for (auto a : acc) acc_f.push_back(Fp::from_i64(a));
    auto wr = c::requant_witness(s, acc);
    REQUIRE(wr.ok());
    w = std::move(wr).value();
  }

  zks::Status check(const c::RequantProof& proof, const c::RequantShape* other = nullptr,
                    const c::RequantWitness* cols = nullptr) const {
    Transcript t("requant-test");
    auto claims = c::verify_requant(other ? *other : s, proof, t);
    if (!claims.ok()) return zks::make_error(claims.error());
    if (zks::poly::evaluate(acc_f, claims->acc.point) != claims->acc.value)
      return zks::make_error("acc claim false");
    const auto& ws = cols ? *cols : w;
    for (size_t i = 0; i < claims->columns.size(); ++i)
      if (zks::poly::evaluate(ws.columns[i], claims->columns[i].point) != claims->columns[i].value)
        return zks::make_error("column claim false");
    return {};
  }

  c::RequantProverOutput prove(const c::RequantWitness& wit) const {
    Transcript t("requant-test");
    return c::prove_requant(s, acc_f, wit, t);
  }
};

}  // namespace

TEST_CASE("requant witness follows the executor's rounding and clamping", "[circuits]") {
  c::RequantShape s;
  s.shape = zks::poly::PaddedShape::flat(8), s.shift = 4, s.excess_bits = 20;
  // (acc + 8) >> 4, clamped to [-32768, 32767].
  std::vector<int64_t> acc = {0, 7, 8, -8, -9, 1 << 22, -(1 << 22), 32767 * 16 + 7};
  auto w = c::requant_witness(s, acc);
  REQUIRE(w.ok());
  std::vector<int64_t> want = {0, 0, 1, 0, -1, 32767, -32768, 32767};
  for (size_t x = 0; x < 8; ++x) REQUIRE(w->columns[0][x] == Fp::from_i64(want[x]));
  REQUIRE(w->saturations == 2);
  REQUIRE(w->columns[1][6] == Fp::one());  // b_lo
  REQUIRE(w->columns[2][5] == Fp::one());  // b_hi
  SECTION("a shape without saturation refuses a saturating row") {
    s.excess_bits = 0;
    auto r = c::requant_witness(s, acc);
    REQUIRE_FALSE(r.ok());
    REQUIRE_THAT(r.error(), Catch::Contains("row 5"));
  }
}

TEST_CASE("requant is complete with and without saturation, and its columns are in range", "[circuits]") {
  struct P { std::vector<uint32_t> dims; unsigned shift, excess; int64_t range; };
  for (const P& p : {P{{1}, 1, 0, 1000}, P{{16}, 8, 0, 1 << 22}, P{{50}, 12, 0, 1 << 26},
                     P{{60}, 8, 23, 1 << 30}, P{{100}, 20, 31, int64_t(1) << 50},
                     P{{31}, 33, 24, int64_t(1) << 56}, P{{3, 5, 7}, 10, 20, 1 << 28},
                     P{{40}, 0, 0, 30000}, P{{40}, 0, 18, 1 << 17}}) {
    CAPTURE(p.dims, p.shift, p.excess);
    Case cs(p.dims, p.shift, p.excess, p.range, p.dims.size() * 31 + p.shift);
    auto out = cs.prove(cs.w);
    REQUIRE(cs.check(out.proof).ok());
    // Every range term of the committed columns holds.
    std::vector<uint32_t> ids(cs.s.num_columns());
    for (uint32_t i = 0; i < ids.size(); ++i) ids[i] = i;
    c::RangeShape rs{c::requant_range_terms(cs.s, ids)};
    std::vector<std::span<const Fp>> cols;
    for (const auto& t : rs.terms) cols.push_back(cs.w.columns[t.column]);
    REQUIRE(c::range_witness(rs, cols).ok());
  }
}

TEST_CASE("requant rejects wrong witnesses and tampered proofs", "[circuits]") {
  Case cs({5, 6}, 10, 18, 1 << 27, 77);
  REQUIRE(cs.w.saturations > 0);
  auto out = cs.prove(cs.w);
  REQUIRE(cs.check(out.proof).ok());
  // Each witness column changed at one real row (q off by one, a flag flipped, a
  // limb changed) breaks a constraint: the honest prover's proof for it fails.
  for (size_t col = 0; col < cs.w.columns.size(); ++col) {
    auto bad = cs.w;
    bad.columns[col][3] += Fp::one();
    CAPTURE(col);
    REQUIRE_FALSE(cs.check(cs.prove(bad).proof, nullptr, &bad).ok());
  }
  SECTION("a nonzero padded output entry is rejected") {
    auto bad = cs.w;
    bad.columns[0][7] = Fp(5);  // row 0, column 7 of a 5x6 tensor in an 8x8 layout
    REQUIRE_FALSE(cs.check(cs.prove(bad).proof, nullptr, &bad).ok());
  }
  SECTION("tampered proof fields") {
    auto p = out.proof;
    p.acc_eval += Fp2::one();
    REQUIRE_FALSE(cs.check(p).ok());
    for (size_t i = 0; i < out.proof.column_evals.size(); ++i) {
      auto p2 = out.proof;
      p2.column_evals[i] += Fp2::one();
      REQUIRE_FALSE(cs.check(p2).ok());
    }
    auto p3 = out.proof;
    p3.zerocheck.rounds[1][0] += Fp2::one();
    REQUIRE_FALSE(cs.check(p3).ok());
  }
  SECTION("a statement with another shift, clamp or row count is rejected") {
    for (int which = 0; which < 3; ++which) {
      auto s2 = cs.s;
      if (which == 0) s2.shift = 11;
      if (which == 1) s2.lo = -16384, s2.hi = 16383;
      if (which == 2) s2.shape = zks::poly::PaddedShape({5, 5});
      CAPTURE(which);
      REQUIRE_FALSE(cs.check(out.proof, &s2).ok());
    }
  }
  SECTION("serialization") {
    zks::util::ByteWriter bw;
    out.proof.write(bw);
    auto bytes = bw.take();
    zks::util::ByteReader r(bytes);
    auto back = c::RequantProof::read(r, cs.s);
    REQUIRE(back.ok());
    REQUIRE(r.at_end());
    REQUIRE(cs.check(*back).ok());
    zks::util::ByteReader tr(std::span<const uint8_t>(bytes.data(), bytes.size() - 1));
    REQUIRE_FALSE(c::RequantProof::read(tr, cs.s).ok());
  }
}

TEST_CASE("requant: q + 1 with the remainder adjusted passes the zerocheck but not the range check", "[circuits]") {
  // acc + 2^(s-1) = 2^s q + r; q' = q + 1, r' = r - 2^s keeps the decomposition, so only
  // the remainder's range check (rule 3) stands between a cheat and acceptance.
  Case cs({16}, 10, 0, 1 << 20, 91);
  auto bad = cs.w;
  const size_t x = 5;
  const Fp two_s = Fp(1u << 10);
  bad.columns[0][x] += Fp::one();        // q
  bad.columns[1][x] = bad.columns[1][x] - two_s;  // the single remainder limb (s = 10)
  auto out = cs.prove(bad);
  REQUIRE(cs.check(out.proof, nullptr, &bad).ok());  // the decomposition holds
  std::vector<uint32_t> ids = {0, 1};
  c::RangeShape rs{c::requant_range_terms(cs.s, ids)};
  std::vector<std::span<const Fp>> cols;
  for (const auto& t : rs.terms) cols.push_back(bad.columns[t.column]);
  auto rw = c::range_witness(rs, cols);
  REQUIRE_FALSE(rw.ok());  // a negative remainder is not in [0, 2^10)
  // q - 1 with r + 2^s: the remainder exceeds 2^s, caught by the exact top-limb bound.
  auto bad2 = cs.w;
  bad2.columns[0][x] -= Fp::one();
  bad2.columns[1][x] = bad2.columns[1][x] + two_s;
  REQUIRE(cs.check(cs.prove(bad2).proof, nullptr, &bad2).ok());
  cols.clear();
  for (const auto& t : rs.terms) cols.push_back(bad2.columns[t.column]);
  REQUIRE_FALSE(c::range_witness(rs, cols).ok());
}

TEST_CASE("requant: a limb of one bit is proved a bit by the zerocheck, not by a range term", "[circuits]") {
  // s = 17: r = r0 + 2^16 r1 with r1 in {0, 1}; excess of 17 bits: h = h0 + 2^16 h1 likewise.
  Case cs({24}, 17, 17, int64_t(1) << 33, 5);
  REQUIRE(cs.w.saturations > 0);
  REQUIRE(cs.s.num_columns() == 7);  // q, b_lo, b_hi, r0, r1, h0, h1
  REQUIRE(cs.check(cs.prove(cs.w).proof).ok());
  std::vector<uint32_t> ids = {0, 1, 2, 3, 4, 5, 6};
  auto terms = c::requant_range_terms(cs.s, ids);
  std::set<uint32_t> ranged;
  for (const auto& t : terms) ranged.insert(t.column);
  REQUIRE(ranged == std::set<uint32_t>{0, 3, 5});  // q, r0, h0: 16 bits each
  // q - 1 with r + 2^17, carried into r1 (r1 + 2): the decomposition holds and r0 stays
  // in range; only C10 stands between this cheat and acceptance.
  size_t x = 0;
  while (x < 24 && (cs.w.columns[1][x] != Fp::zero() || cs.w.columns[2][x] != Fp::zero())) ++x;
  REQUIRE(x < 24);
  auto bad = cs.w;
  bad.columns[0][x] -= Fp::one();
  bad.columns[4][x] += Fp(2);
  REQUIRE_FALSE(cs.check(cs.prove(bad).proof, nullptr, &bad).ok());
  // And each one-bit limb set to 2 on its own.
  for (size_t col : {4, 6}) {
    auto two = cs.w;
    two.columns[col][x] = Fp(2);
    CAPTURE(col);
    REQUIRE_FALSE(cs.check(cs.prove(two).proof, nullptr, &two).ok());
  }
}
