// Range checks through one LogUp into [0, 2^16) or [0, 2^8), and the limb splits of the
// 8-bit table: completeness and tamper tests.
#include <catch2/catch.hpp>
#include <random>
#include <tuple>

#include "circuits/gadgets/range.hpp"
#include "poly/mle.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::transcript::Transcript;
namespace c = zks::circuits;

namespace {

struct Fixture {
  c::RangeShape shape;
  std::vector<std::vector<Fp>> cols;

  // Adds a column of shape `dims` whose real entries are v - offset with v uniform in
  // [0, 2^bits).
  void add(std::mt19937_64& rng, std::vector<uint32_t> dims, unsigned bits, int64_t offset) {
    zks::poly::PaddedShape ps(std::move(dims));
    std::vector<Fp> col(ps.padded_size(), Fp::zero());
    for (size_t x = 0; x < col.size(); ++x)
      if (ps.is_real(x)) col[x] = Fp::from_i64(int64_t(rng() % (uint64_t(1) << bits)) - offset);
    shape.terms.push_back({uint32_t(cols.size()), ps, bits, offset});
    cols.push_back(std::move(col));
  }
  std::vector<std::span<const Fp>> spans() const {
    std::vector<std::span<const Fp>> out;
    for (const auto& c : cols) out.push_back(c);
    return out;
  }

  // Verifies and checks each column claim against the column itself and the
  // multiplicity claim against the multiplicities (standing in for openings).
  zks::Status check(const c::RangeProof& proof, const std::vector<Fp>& m,
                    const c::RangeShape* other = nullptr) const {
    Transcript t("range-test");
    auto claims = c::verify_range(other ? *other : shape, proof, t);
    if (!claims.ok()) return zks::make_error(claims.error());
    for (const auto& cc : claims->columns)
      if (zks::poly::evaluate(cols[cc.column], cc.claim.point) != cc.claim.value)
        return zks::make_error("column claim does not open");
    if (zks::poly::evaluate(m, claims->multiplicities.point) != claims->multiplicities.value)
      return zks::make_error("multiplicity claim does not open");
    return {};
  }

  c::RangeProverOutput prove(const c::RangeWitness& w) const {
    Transcript t("range-test");
    return c::prove_range(shape, spans(), w, t);
  }
};

}  // namespace

TEST_CASE("range checks are complete over sizes, exact bit widths and offsets", "[circuits]") {
  std::mt19937_64 rng(1);
  Fixture fx;
  fx.add(rng, {16}, 16, 0);            // 16-bit limbs
  fx.add(rng, {50}, 7, 0);             // a top limb of 7 bits, padded rows
  fx.add(rng, {8}, 16, 1 << 15);       // signed 16-bit activations, shifted
  fx.add(rng, {1}, 1, 0);              // a single bit
  fx.add(rng, {1000}, 12, -5);         // a negative offset
  fx.add(rng, {3, 5, 6}, 16, 1 << 15); // a 3-axis tensor: padding inside every axis
  auto w = c::range_witness(fx.shape, fx.spans());
  REQUIRE(w.ok());
  REQUIRE(w->witness.size() == (size_t(1) << fx.shape.witness_vars()));
  auto out = fx.prove(*w);
  REQUIRE(fx.check(out.proof, w->multiplicities).ok());
}

TEST_CASE("range checks against the 8-bit table: complete, exact top bounds, and bound to the table's size", "[circuits]") {
  std::mt19937_64 rng(5);
  Fixture fx;
  fx.shape.table_bits = 8;
  fx.add(rng, {16}, 8, 0);
  fx.add(rng, {50}, 5, 0);
  fx.add(rng, {3, 5, 6}, 8, 1 << 7);
  fx.add(rng, {1}, 1, 0);
  auto w = c::range_witness(fx.shape, fx.spans());
  REQUIRE(w.ok());
  REQUIRE(w->multiplicities.size() == 256);
  auto out = fx.prove(*w);
  REQUIRE(fx.check(out.proof, w->multiplicities).ok());
  // The same proof under the 16-bit table is another statement.
  auto wide = fx.shape;
  wide.table_bits = 16;
  REQUIRE_FALSE(fx.check(out.proof, w->multiplicities, &wide).ok());
  // A term wider than the table, or a table of another size, is refused.
  auto bad = fx.shape;
  bad.terms[0].bits = 9;
  REQUIRE_FALSE(bad.check().ok());
  bad = fx.shape;
  bad.table_bits = 12;
  REQUIRE_FALSE(bad.check().ok());
  // A cheating prover with 2^5 in a 5-bit term: in [0, 2^8), but its scaled copy
  // 2^5 * 2^3 = 2^8 is not in the table.
  Fixture one;
  one.shape.table_bits = 8;
  one.add(rng, {16}, 5, 0);
  auto w1 = c::range_witness(one.shape, one.spans());
  REQUIRE(w1.ok());
  one.cols[0][3] = Fp(32);
  REQUIRE_FALSE(c::range_witness(one.shape, one.spans()).ok());
  c::RangeWitness cheat = *w1;
  cheat.witness[3] = Fp(32);
  cheat.witness[16 + 3] = Fp(256);
  REQUIRE_FALSE(one.check(one.prove(cheat).proof, cheat.multiplicities).ok());
}

namespace {
// A 16-bit term on a column split into limbs, with the three columns committed.
struct SplitFixture {
  c::RangeSplit split;
  std::vector<Fp> col;
  c::RangeLimbs limbs;

  SplitFixture(std::mt19937_64& rng, std::vector<uint32_t> dims, unsigned bits, int64_t offset) {
    split = c::RangeSplit{0, 1, 2, zks::poly::PaddedShape(std::move(dims)), bits, offset};
    col.assign(split.shape.padded_size(), Fp::zero());
    for (size_t x = 0; x < col.size(); ++x)
      if (split.shape.is_real(x)) col[x] = Fp::from_i64(int64_t(rng() % (uint64_t(1) << bits)) - offset);
    auto l = c::split_limbs(split, col);
    REQUIRE(l.ok());
    limbs = std::move(l).value();
  }
  c::SplitProof prove() const {
    Transcript t("split-test");
    c::SplitProof p;
    c::prove_splits(std::span<const c::RangeSplit>(&split, 1), {col, limbs.lo, limbs.hi}, p, t);
    return p;
  }
  // Verifies and opens every claim on the columns themselves (standing in for the PCS).
  zks::Status check(const c::SplitProof& p, const c::RangeSplit* other = nullptr) const {
    Transcript t("split-test");
    auto claims = c::verify_splits(std::span<const c::RangeSplit>(other ? other : &split, 1), p, t);
    if (!claims.ok()) return zks::make_error(claims.error());
    const std::vector<Fp>* tables[3] = {&col, &limbs.lo, &limbs.hi};
    for (const auto& cc : *claims)
      if (zks::poly::evaluate(*tables[cc.column], cc.claim.point) != cc.claim.value)
        return zks::make_error("a split claim does not open");
    return {};
  }
};
}  // namespace

TEST_CASE("range splits: limbs make up the value on every row, and the proof binds all three columns", "[circuits]") {
  std::mt19937_64 rng(6);
  for (auto [bits, offset, dims] : {std::tuple<unsigned, int64_t, std::vector<uint32_t>>{16, 0, {5, 7}},
                                     {16, 1 << 15, {5, 7}}, {9, 0, {5, 7}}, {12, -5, {5, 7}}, {13, 3, {}}}) {
    CAPTURE(bits, offset, dims.size());
    SplitFixture fx(rng, dims, bits, offset);
    for (size_t x = 0; x < fx.col.size(); ++x) {
      REQUIRE(fx.limbs.lo[x].value() < 256);
      REQUIRE(fx.limbs.hi[x].value() < (uint64_t(1) << (bits - 8)));
      Fp v = fx.col[x] + (fx.split.shape.is_real(x) ? Fp::from_i64(offset) : Fp::zero());
      REQUIRE(fx.limbs.lo[x] + Fp(256) * fx.limbs.hi[x] == v);
    }
    auto proof = fx.prove();
    REQUIRE(fx.check(proof).ok());
    // Every evaluation changed, every statement field changed: rejected.
    for (size_t k = 0; k < proof.evals.size(); ++k) {
      auto p = proof;
      p.evals[k] += Fp2::one();
      REQUIRE_FALSE(fx.check(p).ok());
    }
    for (int which = 0; which < 3; ++which) {
      // A scalar's split draws no challenge, so a changed width or shape only moves the
      // transcript, which the slice proof's later challenges (the openings') carry; its
      // offset still breaks the identity here.
      if (dims.empty() && which > 0) continue;
      auto other = fx.split;
      if (which == 0) other.offset += 1;
      if (which == 1) other.bits = bits == 16 ? 15 : bits + 1;
      if (which == 2) other.shape = zks::poly::PaddedShape({5, 6});
      CAPTURE(which);
      REQUIRE_FALSE(fx.check(proof, &other).ok());
    }
    // A limb witness that does not make up the value (one entry moved from hi to lo,
    // or lo off by one), honestly proved, is rejected at the split's point.
    for (int which = 0; which < 2; ++which) {
      SplitFixture bad = fx;
      size_t x = 0;
      while (x < bad.col.size() && !(bad.split.shape.is_real(x) && bad.limbs.hi[x] != Fp::zero())) ++x;
      if (x == bad.col.size()) continue;  // a scalar whose value is below 256: nothing to move

      if (which == 0) bad.limbs.lo[x] += Fp::one();
      else bad.limbs.hi[x] -= Fp::one(), bad.limbs.lo[x] += Fp(256);  // same value, lo out of range
      auto p = bad.prove();
      if (which == 0) REQUIRE_FALSE(bad.check(p).ok());
      else REQUIRE(bad.check(p).ok());  // the identity holds: the range check on lo must catch it
    }
  }
  SECTION("two splits of one column in one proof: each bound to its own limbs and statement") {
    SplitFixture a(rng, {6}, 12, 0);
    c::RangeSplit second{0, 3, 4, a.split.shape, 13, 5};  // the same column, another offset and width
    auto limbs2 = c::split_limbs(second, a.col);
    REQUIRE(limbs2.ok());
    const c::RangeSplit splits[2] = {a.split, second};
    const std::vector<Fp>* tables[5] = {&a.col, &a.limbs.lo, &a.limbs.hi, &limbs2->lo, &limbs2->hi};
    auto run = [&](const c::SplitProof* given, std::span<const c::RangeSplit> sp) -> zks::Status {
      Transcript tp("two-splits");
      c::SplitProof p;
      if (!given) {
        c::prove_splits(sp, {a.col, a.limbs.lo, a.limbs.hi, a.col, limbs2->lo, limbs2->hi}, p, tp);
        given = &p;
      }
      Transcript tv("two-splits");
      auto claims = c::verify_splits(sp, *given, tv);
      if (!claims.ok()) return zks::make_error(claims.error());
      for (const auto& cc : *claims)
        if (zks::poly::evaluate(*tables[cc.column], cc.claim.point) != cc.claim.value)
          return zks::make_error("a split claim does not open");
      return {};
    };
    REQUIRE(run(nullptr, splits).ok());
    Transcript tp("two-splits");
    c::SplitProof p;
    c::prove_splits(splits, {a.col, a.limbs.lo, a.limbs.hi, a.col, limbs2->lo, limbs2->hi}, p, tp);
    REQUIRE(p.evals.size() == 6);
    // Swapping the two splits' order, or the second's offset, is another statement.
    const c::RangeSplit swapped[2] = {second, a.split};
    REQUIRE_FALSE(run(&p, swapped).ok());
    c::RangeSplit other = second;
    other.offset = 4;
    const c::RangeSplit changed[2] = {a.split, other};
    REQUIRE_FALSE(run(&p, changed).ok());
  }
  SECTION("values outside [0, 2^bits) are refused by the prover, naming the row") {
    SplitFixture fx(rng, {10}, 10, 0);
    fx.col[4] = Fp(1024);
    auto l = c::split_limbs(fx.split, fx.col);
    REQUIRE_FALSE(l.ok());
    REQUIRE_THAT(l.error(), Catch::Contains("row 4"));
    fx.col[4] = Fp::from_i64(-1);
    REQUIRE_FALSE(c::split_limbs(fx.split, fx.col).ok());
    auto bad = fx.split;
    bad.bits = 8;
    REQUIRE_FALSE(bad.check().ok());
  }
  SECTION("serialization round trip and truncation") {
    SplitFixture fx(rng, {10}, 16, 0);
    auto proof = fx.prove();
    zks::util::ByteWriter bw;
    proof.write(bw);
    auto bytes = bw.take();
    zks::util::ByteReader r(bytes);
    auto back = c::SplitProof::read(r, std::span<const c::RangeSplit>(&fx.split, 1));
    REQUIRE(back.ok());
    REQUIRE(r.at_end());
    REQUIRE(fx.check(*back).ok());
    zks::util::ByteReader tr(std::span<const uint8_t>(bytes.data(), bytes.size() - 1));
    REQUIRE_FALSE(c::SplitProof::read(tr, std::span<const c::RangeSplit>(&fx.split, 1)).ok());
  }
}

TEST_CASE("range witness refuses out-of-range values with the term and row", "[circuits]") {
  std::mt19937_64 rng(2);
  Fixture fx;
  fx.add(rng, {30}, 10, 0);
  fx.cols[0][17] = Fp(1024);  // 2^10: one past the top
  auto w = c::range_witness(fx.shape, fx.spans());
  REQUIRE_FALSE(w.ok());
  REQUIRE_THAT(w.error(), Catch::Contains("row 17"));
  fx.cols[0][17] = Fp::from_i64(-1);
  REQUIRE_FALSE(c::range_witness(fx.shape, fx.spans()).ok());
}

TEST_CASE("range proofs reject a value past the exact top bound", "[circuits]") {
  // A prover that runs the protocol on a witness with v = 2^bits (in [0, 2^16) but
  // not in [0, 2^bits)) fails at the scaled block.
  std::mt19937_64 rng(3);
  Fixture fx;
  fx.add(rng, {16}, 9, 0);
  auto w = c::range_witness(fx.shape, fx.spans());
  REQUIRE(w.ok());
  fx.cols[0][3] = Fp(512);
  // Rebuild the witness as a cheating prover would: the unscaled value fits, the
  // scaled one (512 * 2^7 = 2^16) is not in the table; claim it as table row 0.
  c::RangeWitness bad = *w;
  bad.witness[3] = Fp(512);
  bad.witness[16 + 3] = Fp(512 * 128);
  auto out = fx.prove(bad);
  REQUIRE_FALSE(fx.check(out.proof, bad.multiplicities).ok());
}

TEST_CASE("range proofs reject tampered fields and mismatched statements", "[circuits]") {
  std::mt19937_64 rng(4);
  Fixture fx;
  fx.add(rng, {32}, 16, 0);
  fx.add(rng, {4, 5}, 5, 3);
  auto w = c::range_witness(fx.shape, fx.spans());
  REQUIRE(w.ok());
  auto out = fx.prove(*w);
  REQUIRE(fx.check(out.proof, w->multiplicities).ok());
  const Fp2 one = Fp2::one();
  for (size_t i = 0; i < out.proof.column_evals.size(); ++i) {
    auto p = out.proof;
    p.column_evals[i] += one;
    REQUIRE_FALSE(fx.check(p, w->multiplicities).ok());
  }
  {
    auto p = out.proof;
    p.lookup.m_eval += one;
    REQUIRE_FALSE(fx.check(p, w->multiplicities).ok());
  }
  {
    auto m = w->multiplicities;  // a changed multiplicity, honestly proved
    m[5] += Fp::one();
    c::RangeWitness w2{w->witness, m};
    REQUIRE_FALSE(fx.check(fx.prove(w2).proof, m).ok());
  }
  for (int which = 0; which < 3; ++which) {
    auto s2 = fx.shape;
    if (which == 0) s2.terms[1].bits = 4;
    if (which == 1) s2.terms[1].offset = 4;
    if (which == 2) s2.terms[1].shape = zks::poly::PaddedShape({4, 6});
    CAPTURE(which);
    REQUIRE_FALSE(fx.check(out.proof, w->multiplicities, &s2).ok());
  }
  SECTION("serialization round trip and truncation") {
    zks::util::ByteWriter bw;
    out.proof.write(bw);
    auto bytes = bw.take();
    zks::util::ByteReader r(bytes);
    auto back = c::RangeProof::read(r, fx.shape);
    REQUIRE(back.ok());
    REQUIRE(r.at_end());
    REQUIRE(fx.check(*back, w->multiplicities).ok());
    zks::util::ByteReader tr(std::span<const uint8_t>(bytes.data(), bytes.size() - 9));
    REQUIRE_FALSE(c::RangeProof::read(tr, fx.shape).ok());
  }
}
