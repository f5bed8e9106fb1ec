// Range checks through one LogUp into [0, 2^16): completeness and tamper tests.
#include <catch2/catch.hpp>
#include <random>

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
