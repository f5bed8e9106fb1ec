// LogUp-GKR: completeness and tamper tests.
#include <catch2/catch.hpp>
#include <random>

#include "lookup/logup.hpp"
#include "poly/mle.hpp"
#include "unit/support.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::transcript::Transcript;
namespace lk = zks::lookup;

namespace {

// A range table [0, 2^bits) and a witness of `rows` values in range (padded to 2^k
// with zeros, which the selector masks).
struct RangeFixture {
  std::vector<Fp> table, witness;
  lk::Input in;
  std::vector<Fp> m;

  // The witness has shape `dims` (padded per axis); its real entries are looked up.
  RangeFixture(unsigned bits, std::vector<uint32_t> dims, uint64_t seed) {
    std::mt19937_64 rng(seed);
    table.resize(size_t(1) << bits);
    for (size_t j = 0; j < table.size(); ++j) table[j] = Fp(j);
    zks::poly::PaddedShape shape(std::move(dims));
    witness.assign(shape.padded_size(), Fp::zero());
    for (size_t i = 0; i < witness.size(); ++i)
      if (shape.is_real(i)) witness[i] = Fp(rng() % table.size());
    in.witness = {witness};
    in.table = {table};
    in.witness_shape = shape;
    auto mr = lk::multiplicities(in);
    REQUIRE(mr.ok());
    m = *mr;
  }

  // The caller's side of the final claims: evaluate the columns and m directly
  // (standing in for commitment openings) and the table (public, verifier-computed).
  zks::Status check(const lk::Proof& proof) const {
    Transcript t("logup-test");
    auto claims = lk::verify(in.shape(), proof, t);
    if (!claims.ok()) return zks::make_error(claims.error());
    if (claims->witness_evals[0] != zks::poly::evaluate(witness, claims->witness_point))
      return zks::make_error("witness claim does not open");
    if (claims->m_eval != zks::poly::evaluate(m, claims->table_point))
      return zks::make_error("multiplicity claim does not open");
    if (claims->table_evals[0] != zks::poly::evaluate(table, claims->table_point))
      return zks::make_error("table claim does not match the table");
    return {};
  }

  lk::ProverOutput prove(std::span<const Fp> mult) const {
    Transcript t("logup-test");
    return lk::prove(in, mult, t);
  }
};

// Proves `in` with the multiplicities m and verifies the proof, each side on a fresh
// transcript labelled `label`.
zks::Result<lk::Claims> prove_then_verify(const lk::Input& in, std::span<const Fp> m, const char* label) {
  Transcript tp(label), tv(label);
  auto out = lk::prove(in, m, tp);
  return lk::verify(in.shape(), out.proof, tv);
}

}  // namespace

TEST_CASE("logup proves range lookups with padding", "[lookup]") {
  for (auto [bits, dims] : std::vector<std::pair<unsigned, std::vector<uint32_t>>>{
           {1, {1}}, {4, {8}}, {4, {5}}, {8, {1000}}, {16, {4000}}, {2, {0, 32}},
           {6, {3, 5}}, {6, {2, 3, 7}}, {5, {1, 1, 9}}}) {
    CAPTURE(bits, dims);
    RangeFixture fx(bits, dims, bits * 100 + dims.size());
    auto out = fx.prove(fx.m);
    REQUIRE(fx.check(out.proof).ok());
  }
}

TEST_CASE("logup proves witnesses of several blocks, with the padding past the last block as a tail", "[lookup]") {
  // Blocks of 2^12, 2^10 and 5 (padded to 8) entries: 5128 used of 8192 rows. The rows past
  // the last block hold zeros (a tail the prover skips), or junk (which the selector masks,
  // so the prover keeps it), or zeros but for the very last row.
  std::vector<Fp> table(256);
  for (size_t j = 0; j < table.size(); ++j) table[j] = Fp(j);
  zks::poly::BlockLayout layout({zks::poly::PaddedShape({64, 64}), zks::poly::PaddedShape({1000}), zks::poly::PaddedShape({5})});
  REQUIRE(layout.padded_size() == 8192);
  std::mt19937_64 rng(21);
  std::vector<Fp> base(layout.padded_size(), Fp::zero());
  for (size_t i = 0; i < base.size(); ++i)
    if (layout.is_real(i)) base[i] = Fp(rng() % table.size());
  for (int tail : {0, 1, 2}) {
    CAPTURE(tail);
    std::vector<Fp> witness = base;
    if (tail == 1)
      for (size_t i = 5128; i < witness.size(); ++i) witness[i] = Fp(rng());
    if (tail == 2) witness.back() = Fp(7);
    lk::Input in{{witness}, {table}, layout};
    auto m = lk::multiplicities(in);
    REQUIRE(m.ok());
    auto claims = prove_then_verify(in, *m, "blocks");
    INFO((claims.ok() ? std::string() : claims.error()));
    REQUIRE(claims.ok());
    REQUIRE(claims->witness_evals[0] == zks::poly::evaluate(witness, claims->witness_point));
    REQUIRE(claims->m_eval == zks::poly::evaluate(*m, claims->table_point));
    // A value changed in the last block is caught.
    auto bad = witness;
    bad[5124] = Fp(300);
    lk::Input bin{{bad}, {table}, layout};
    REQUIRE_FALSE(prove_then_verify(bin, *m, "blocks").ok());
  }
  // A flat witness whose zero-filled end is looked up too (a range check's): its tail's
  // leaves are real, (1, alpha - 0).
  lk::Input flat{{base}, {table}, zks::poly::PaddedShape::flat(base.size())};
  auto m = lk::multiplicities(flat);
  REQUIRE(m.ok());
  auto claims = prove_then_verify(flat, *m, "flat");
  REQUIRE(claims.ok());
  REQUIRE(claims->witness_evals[0] == zks::poly::evaluate(base, claims->witness_point));
  REQUIRE(claims->m_eval == zks::poly::evaluate(*m, claims->table_point));
}

TEST_CASE("logup proves pair-table lookups (two columns)", "[lookup]") {
  // Table of (x, relu(x)) for x in [-128, 128) as field elements.
  std::vector<Fp> tx(256), ty(256);
  for (int j = 0; j < 256; ++j) {
    int x = j - 128;
    tx[j] = Fp::from_i64(x);
    ty[j] = Fp::from_i64(x > 0 ? x : 0);
  }
  std::mt19937_64 rng(3);
  std::vector<Fp> wx(64), wy(64);
  for (size_t i = 0; i < 64; ++i) {
    int x = int(rng() % 256) - 128;
    wx[i] = Fp::from_i64(x);
    wy[i] = Fp::from_i64(x > 0 ? x : 0);
  }
  lk::Input in{{wx, wy}, {tx, ty}, zks::poly::PaddedShape::flat(64)};
  auto m = lk::multiplicities(in);
  REQUIRE(m.ok());
  auto claims = prove_then_verify(in, *m, "pair");
  REQUIRE(claims.ok());
  REQUIRE(claims->witness_evals[1] == zks::poly::evaluate(wy, claims->witness_point));
  REQUIRE(claims->table_evals[1] == zks::poly::evaluate(ty, claims->table_point));

  SECTION("a wrong function value (relu(x) off by one) is not in the table") {
    wy[7] = wy[7] + Fp::one();
    lk::Input bad{{wx, wy}, {tx, ty}, zks::poly::PaddedShape::flat(64)};
    auto mb = lk::multiplicities(bad);
    REQUIRE_FALSE(mb.ok());
    REQUIRE_THAT(mb.error(), Catch::Contains("row 7"));
    // Forcing the proof with the honest multiplicities fails at the roots.
    REQUIRE_FALSE(prove_then_verify(bad, *m, "pair").ok());
  }
}

TEST_CASE("logup rejects a witness value outside the table", "[lookup]") {
  RangeFixture fx(8, {64}, 5);
  fx.witness[10] = Fp(256);  // one past the table
  auto mr = lk::multiplicities(fx.in);
  REQUIRE_FALSE(mr.ok());
  // A prover that presents the old multiplicities cannot balance the sums.
  auto out = fx.prove(fx.m);
  REQUIRE_FALSE(fx.check(out.proof).ok());
  // Nor can one that moves the count onto the table row it pretends to hit.
  auto m2 = fx.m;
  m2[255] = m2[255] + Fp::one();
  auto out2 = fx.prove(m2);
  REQUIRE_FALSE(fx.check(out2.proof).ok());
}

TEST_CASE("logup rejects a changed multiplicity", "[lookup]") {
  RangeFixture fx(6, {100}, 6);
  auto m = fx.m;
  m[3] = m[3] + Fp::one();
  auto out = fx.prove(m);
  REQUIRE_FALSE(fx.check(out.proof).ok());
  // Moving one count from one row to another keeps the total but not the sum.
  m = fx.m;
  size_t from = 0;
  while (fx.m[from].is_zero()) ++from;
  m[from] = m[from] - Fp::one();
  m[(from + 1) % m.size()] = m[(from + 1) % m.size()] + Fp::one();
  REQUIRE_FALSE(fx.check(fx.prove(m).proof).ok());
}

TEST_CASE("logup rejects a padded row smuggled in as real", "[lookup]") {
  // A 3x5 tensor in a 4x8 padded layout; a statement that counts padded slots as
  // real breaks the selector check.
  RangeFixture fx(4, {3, 5}, 7);
  auto out = fx.prove(fx.m);
  REQUIRE(fx.check(out.proof).ok());
  for (std::vector<uint32_t> dims : {std::vector<uint32_t>{3, 6}, {4, 5}, {3, 7}, {4, 8}}) {
    lk::Shape s = fx.in.shape();
    s.witness = zks::poly::PaddedShape(dims);
    REQUIRE(s.witness_vars() == fx.in.shape().witness_vars());
    Transcript t("logup-test");
    REQUIRE_FALSE(lk::verify(s, out.proof, t).ok());
  }
}

TEST_CASE("logup rejects every tampered proof field", "[lookup]") {
  RangeFixture fx(5, {50}, 8);
  auto out = fx.prove(fx.m);
  REQUIRE(fx.check(out.proof).ok());
  const Fp2 delta(Fp(1), Fp(1));
  auto expect_reject = [&](const lk::Proof& p) { REQUIRE_FALSE(fx.check(p).ok()); };
  {
    auto p = out.proof;
    p.p_w += delta;
    expect_reject(p);
  }
  {
    auto p = out.proof;  // scaling both parts of a root keeps the ratio: still rejected
    p.p_t *= delta;
    p.q_t *= delta;
    expect_reject(p);
  }
  for (size_t l = 0; l < out.proof.witness_layers.size(); ++l) {
    CAPTURE(l);
    auto p = out.proof;
    p.witness_layers[l].q1 += delta;
    expect_reject(p);
    if (!p.witness_layers[l].sumcheck.rounds.empty()) {
      p = out.proof;
      p.witness_layers[l].sumcheck.rounds.back()[2] += delta;
      expect_reject(p);
    }
  }
  for (size_t l = 0; l < out.proof.table_layers.size(); ++l) {
    auto p = out.proof;
    p.table_layers[l].p0 += delta;
    expect_reject(p);
  }
  {
    auto p = out.proof;
    p.witness_evals[0] += delta;
    expect_reject(p);
  }
  {
    auto p = out.proof;
    p.table_evals[0] += delta;
    expect_reject(p);
  }
  {
    auto p = out.proof;
    p.m_eval += delta;
    expect_reject(p);
  }
}

TEST_CASE("logup proofs serialize and refuse malformed bytes", "[lookup]") {
  RangeFixture fx(4, {20}, 9);
  auto out = fx.prove(fx.m);
  zks::util::ByteWriter w;
  out.proof.write(w);
  auto bytes = w.take();
  zks::util::ByteReader r(bytes);
  auto back = lk::Proof::read(r, fx.in.shape());
  REQUIRE(back.ok());
  REQUIRE(r.at_end());
  REQUIRE(fx.check(*back).ok());
  zks::util::ByteReader trunc(std::span<const uint8_t>(bytes.data(), bytes.size() / 2));
  REQUIRE_FALSE(lk::Proof::read(trunc, fx.in.shape()).ok());
  lk::Shape huge = fx.in.shape();
  huge.witness = zks::poly::PaddedShape({1u << 31, 1u << 31});
  zks::util::ByteReader r2(bytes);
  REQUIRE_THAT(lk::Proof::read(r2, huge).error(), Catch::Contains("rows"));
}

namespace {
// The fraction-layer kernel `fast(claim, transcript)` against the generic sumcheck over
// the layer's children (p, q): the same proof bytes, point, evaluations and transcript.
template <typename Fast>
void require_generic_proof(const std::vector<Fp2>& p, const std::vector<Fp2>& q, std::span<const Fp2> r,
                           const Fp2& lambda, Fast&& fast) {
  std::vector<std::vector<Fp2>> tables;
  auto inst = lk::detail::fraction_layer_instance(p, q, r, lambda, tables);
  const Fp2 claim = zks::sumcheck::compute_sum(inst);
  Transcript t1("parity"), t2("parity");
  auto generic = zks::sumcheck::prove(inst, claim, t1);
  zks::sumcheck::ProverOutput kernel = fast(claim, t2);
  zks::util::ByteWriter w1, w2;
  generic.proof.write(w1);
  kernel.proof.write(w2);
  REQUIRE(w1.bytes() == w2.bytes());
  REQUIRE(generic.point == kernel.point);
  REQUIRE(generic.factor_evals == kernel.factor_evals);
  REQUIRE(t1.challenge("next") == t2.challenge("next"));
}
}  // namespace

TEST_CASE("the fraction-layer kernel over explicit children and a constant tail proves the whole layer's bytes", "[lookup]") {
  std::mt19937_64 rng(12);
  auto rand2 = [&] { return zks::test::rand2(rng); };
  for (unsigned vars : {0u, 1u, 3u, 12u}) {
    const size_t size = size_t(2) << vars;
    for (size_t n : {size_t(0), size_t(1), size_t(3), size / 2 + 1, size - 1, size}) {
      if (n > size) continue;
      CAPTURE(vars, n);
      lk::detail::FractionTable c;
      c.size = size;
      c.p_tail = rand2(), c.q_tail = rand2();
      for (size_t i = 0; i < n; ++i) c.p.push_back(rand2()), c.q.push_back(rand2());
      std::vector<Fp2> p(size), q(size), r(vars);
      for (size_t i = 0; i < size; ++i) p[i] = c.p_at(i), q[i] = c.q_at(i);
      for (auto& x : r) x = rand2();
      const Fp2 lambda = rand2();
      require_generic_proof(p, q, r, lambda, [&](const Fp2& claim, Transcript& t) {
        return lk::detail::prove_fraction_layer(c, r, lambda, claim, t);
      });
    }
  }
}

TEST_CASE("the specialised fraction-layer kernel gives the generic sumcheck's proof byte for byte", "[lookup]") {
  std::mt19937_64 rng(11);
  auto rand2 = [&] { return zks::test::rand2(rng); };
  for (unsigned vars : {0u, 1u, 2u, 5u, 11u, 13u}) {
    for (bool zero_coordinate : {false, true}) {
      if (zero_coordinate && vars == 0) continue;
      CAPTURE(vars, zero_coordinate);
      const size_t n = size_t(2) << vars;
      std::vector<Fp2> p(n), q(n), r(vars);
      for (auto& x : p) x = rand2();
      for (auto& x : q) x = rand2();
      for (auto& x : r) x = rand2();
      if (zero_coordinate) r[vars / 2] = Fp2::zero();  // the round where l(1) is computed, not derived
      const Fp2 lambda = rand2();
      require_generic_proof(p, q, r, lambda, [&](const Fp2& claim, Transcript& t) {
        return lk::detail::prove_fraction_layer(p, q, r, lambda, claim, t);
      });
    }
  }
}
