// Element-wise division: the executor's rounding, completeness, tamper tests, and the
// range checks that stand between q +/- 1 (remainder adjusted) and acceptance.
#include <catch2/catch.hpp>
#include <random>

#include "circuits/gadgets/divide.hpp"
#include "poly/mle.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::transcript::Transcript;
namespace c = zks::circuits;

namespace {

struct Case {
  c::DivideShape s;
  std::vector<int64_t> a, b;
  std::vector<Fp> af, bf;
  c::DivideWitness w;

  Case(std::vector<uint32_t> dims, unsigned ka, unsigned kb, uint64_t seed) {
    s.shape = zks::poly::PaddedShape(std::move(dims)), s.ka = ka, s.kb = kb;
    std::mt19937_64 rng(seed);
    a.assign(s.shape.padded_size(), 0), b.assign(s.shape.padded_size(), 0);
    for (size_t x = 0; x < a.size(); ++x)
      if (s.shape.is_real(x)) {
        b[x] = 1 + int64_t(rng() % 30000);
        // |a 2^ka| below |b 2^kb| * 2^14 keeps the quotient inside 16 bits
        const int64_t lim = std::max<int64_t>(1, (b[x] << kb) * 16000 >> ka);
        a[x] = int64_t(rng() % uint64_t(2 * std::min<int64_t>(lim, 32767) + 1)) - std::min<int64_t>(lim, 32767);
      }
    for (auto v : a) af.push_back(Fp::from_i64(v));
    for (auto v : b) bf.push_back(Fp::from_i64(v));
    auto wr = c::divide_witness(s, a, b);
    INFO((wr.ok() ? std::string() : wr.error()));
    REQUIRE(wr.ok());
    w = std::move(wr).value();
  }

  zks::Status check(const c::DivideProof& proof, const c::DivideShape* other = nullptr,
                    const c::DivideWitness* cols = nullptr) const {
    Transcript t("divide-test");
    auto claims = c::verify_divide(other ? *other : s, proof, t);
    if (!claims.ok()) return zks::make_error(claims.error());
    if (zks::poly::evaluate(af, claims->a.point) != claims->a.value) return zks::make_error("a claim false");
    if (zks::poly::evaluate(bf, claims->b.point) != claims->b.value) return zks::make_error("b claim false");
    const auto& ws = cols ? *cols : w;
    for (size_t i = 0; i < claims->columns.size(); ++i)
      if (zks::poly::evaluate(ws.columns[i], claims->columns[i].point) != claims->columns[i].value)
        return zks::make_error("column claim false");
    return {};
  }
  c::DivideProof prove(const c::DivideWitness& wit) const {
    Transcript t("divide-test");
    return c::prove_divide(s, af, bf, wit, t, nullptr);
  }
  zks::Status ranges(const c::DivideWitness& wit) const {
    std::vector<uint32_t> ids(s.num_columns());
    for (uint32_t i = 0; i < ids.size(); ++i) ids[i] = i;
    c::RangeShape rs{c::divide_range_terms(s, ids)};
    std::vector<std::span<const Fp>> cols;
    for (const auto& t : rs.terms) cols.push_back(wit.columns[t.column]);
    auto r = c::range_witness(rs, cols);
    return r.ok() ? zks::Status{} : zks::make_error(r.error());
  }
};

}  // namespace

TEST_CASE("divide witness: the executor's round-half-up quotient, refusals named", "[circuits]") {
  c::DivideShape s;
  s.shape = zks::poly::PaddedShape::flat(8);
  // floor((2a + b) / (2b)): 7/2 = 3.5 -> 4, -7/2 = -3.5 -> -3, 5/3 -> 2, -5/3 -> -2, 0, 1/4 -> 0, 3/2 -> 2, -1/2 -> 0
  std::vector<int64_t> a = {7, -7, 5, -5, 0, 1, 3, -1}, b = {2, 2, 3, 3, 9, 4, 2, 2};
  auto w = c::divide_witness(s, a, b);
  INFO((w.ok() ? std::string() : w.error()));
  REQUIRE(w.ok());
  std::vector<int64_t> want = {4, -3, 2, -2, 0, 0, 2, 0};
  for (size_t x = 0; x < 8; ++x) REQUIRE(w->columns[0][x] == Fp::from_i64(want[x]));
  b[2] = 0;
  auto zero = c::divide_witness(s, a, b);
  REQUIRE_FALSE(zero.ok());
  REQUIRE_THAT(zero.error(), Catch::Contains("entry 2"));
  b[2] = 3, a[0] = 32767, b[0] = 1, s.ka = 4;  // 32767 * 16 saturates
  REQUIRE_THAT(c::divide_witness(s, a, b).error(), Catch::Contains("saturates"));
}

TEST_CASE("divide is complete and its columns are in range", "[circuits]") {
  struct P { std::vector<uint32_t> dims; unsigned ka, kb; };
  for (const P& p : {P{{1}, 0, 0}, P{{37}, 3, 0}, P{{5, 7}, 0, 5}, P{{64}, 12, 0}, P{{3, 3, 3}, 0, 18}}) {
    CAPTURE(p.dims, p.ka, p.kb);
    Case cs(p.dims, p.ka, p.kb, p.ka * 7 + p.kb);
    REQUIRE(cs.check(cs.prove(cs.w)).ok());
    REQUIRE(cs.ranges(cs.w).ok());
  }
}

TEST_CASE("divide rejects wrong witnesses, tampered proofs and other statements", "[circuits]") {
  Case cs({5, 6}, 2, 3, 13);
  auto proof = cs.prove(cs.w);
  REQUIRE(cs.check(proof).ok());
  for (size_t col = 0; col < cs.w.columns.size(); ++col) {
    auto bad = cs.w;
    bad.columns[col][3] += Fp::one();
    CAPTURE(col);
    REQUIRE_FALSE(cs.check(cs.prove(bad), nullptr, &bad).ok());
  }
  SECTION("q + 1 with r and u adjusted passes the zerocheck but not the range check") {
    auto bad = cs.w;
    const size_t x = 4;
    const unsigned n = cs.s.rem_limbs();
    // 2A + D = 2D q + r: q + 1 needs r - 2D, and u = 2D - 1 - r grows by 2D.
    const int64_t D2 = 2 * (cs.b[x] << cs.s.kb);
    auto get = [&](const c::DivideWitness& w, size_t first) {
      int64_t v = 0;
      for (unsigned i = n; i-- > 0;) v = (v << 16) + int64_t(w.columns[first + i][x].value());
      return v;
    };
    const int64_t r = get(bad, 1) - D2, u = get(bad, 1 + n) + D2;
    bad.columns[0][x] += Fp::one();
    // r < 0 cannot be written in limbs; put it whole in the low limb (as a field element)
    bad.columns[1][x] = Fp::from_i64(r);
    for (unsigned i = 1; i < n; ++i) bad.columns[1 + i][x] = Fp::zero();
    for (unsigned i = 0; i < n; ++i) bad.columns[1 + n + i][x] = Fp(uint64_t(u >> (16 * i)) & 0xffff);
    REQUIRE(cs.check(cs.prove(bad), nullptr, &bad).ok());  // the equations hold
    REQUIRE_FALSE(cs.ranges(bad).ok());                     // the remainder is negative
  }
  SECTION("a nonzero padded quotient is rejected") {
    auto bad = cs.w;
    bad.columns[0][7] = Fp(5);
    REQUIRE_FALSE(cs.check(cs.prove(bad), nullptr, &bad).ok());
  }
  SECTION("tampered proof fields") {
    auto p = proof;
    p.a_eval += Fp2::one();
    REQUIRE_FALSE(cs.check(p).ok());
    p = proof;
    p.b_eval += Fp2::one();
    REQUIRE_FALSE(cs.check(p).ok());
    for (size_t i = 0; i < proof.column_evals.size(); ++i) {
      auto p2 = proof;
      p2.column_evals[i] += Fp2::one();
      REQUIRE_FALSE(cs.check(p2).ok());
    }
    auto p3 = proof;
    p3.zerocheck.rounds[0][1] += Fp2::one();
    REQUIRE_FALSE(cs.check(p3).ok());
  }
  SECTION("another shift or shape") {
    for (int which = 0; which < 3; ++which) {
      auto s2 = cs.s;
      if (which == 0) s2.ka += 1;
      if (which == 1) s2.kb += 1;
      if (which == 2) s2.shape = zks::poly::PaddedShape({5, 5});
      CAPTURE(which);
      REQUIRE_FALSE(cs.check(proof, &s2).ok());
    }
  }
  SECTION("serialization") {
    zks::util::ByteWriter bw;
    proof.write(bw);
    auto bytes = bw.take();
    zks::util::ByteReader r(bytes);
    auto back = c::DivideProof::read(r, cs.s);
    REQUIRE(back.ok());
    REQUIRE(r.at_end());
    REQUIRE(cs.check(*back).ok());
    zks::util::ByteReader tr(std::span<const uint8_t>(bytes.data(), bytes.size() - 1));
    REQUIRE_FALSE(c::DivideProof::read(tr, cs.s).ok());
  }
}
