// Pair-table lookups for nonlinear functions: completeness and tamper tests.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "circuits/gadgets/table.hpp"
#include "poly/mle.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::transcript::Transcript;
namespace c = zks::circuits;

namespace {

c::FunctionTable relu_table(unsigned bits) {
  c::FunctionTable t;
  t.in_lo = -(int64_t(1) << (bits - 1));
  for (int64_t i = 0; i < (int64_t(1) << bits); ++i) t.values.push_back(std::max<int64_t>(0, t.in_lo + i));
  return t;
}

// A tanh-like table at scale 2^-8 in and out (built with libm here: tests only; the
// compiler builds its tables integer-exactly).
c::FunctionTable tanh_table(unsigned bits) {
  c::FunctionTable t;
  t.in_lo = -(int64_t(1) << (bits - 1));
  for (int64_t i = 0; i < (int64_t(1) << bits); ++i)
    t.values.push_back(std::llround(256.0 * std::tanh(double(t.in_lo + i) / 256.0)));
  return t;
}

struct Case {
  c::FunctionTable table;
  c::TableShape s;
  std::vector<int64_t> xi;
  std::vector<Fp> x, y, m;

  Case(c::FunctionTable tb, std::vector<uint32_t> dims, uint64_t seed) : table(std::move(tb)) {
    s.shape = zks::poly::PaddedShape(std::move(dims));
    s.table = &table;
    std::mt19937_64 rng(seed);
    xi.assign(s.shape.padded_size(), 0);
    for (size_t i = 0; i < xi.size(); ++i)
      if (s.shape.is_real(i)) xi[i] = table.in_lo + int64_t(rng() % table.values.size());
    for (auto v : xi) x.push_back(Fp::from_i64(v));
    auto yr = c::apply_table(s, xi);
    REQUIRE(yr.ok());
    y = *yr;
    auto mr = c::table_multiplicities(s, x);
    REQUIRE(mr.ok());
    m = *mr;
  }

  c::TableProverOutput prove(const std::vector<Fp>& xs, const std::vector<Fp>& ys, const std::vector<Fp>& ms) const {
    Transcript t("table-test");
    return c::prove_table(s, xs, ys, ms, t);
  }

  zks::Status check(const c::TableProof& p, const std::vector<Fp>& xs, const std::vector<Fp>& ys,
                    const std::vector<Fp>& ms, const c::TableShape* other = nullptr) const {
    Transcript t("table-test");
    auto claims = c::verify_table(other ? *other : s, p, t);
    if (!claims.ok()) return zks::make_error(claims.error());
    if (zks::poly::evaluate(xs, claims->input.point) != claims->input.value) return zks::make_error("x claim false");
    if (zks::poly::evaluate(ys, claims->output.point) != claims->output.value) return zks::make_error("y claim false");
    if (zks::poly::evaluate(ms, claims->multiplicities.point) != claims->multiplicities.value)
      return zks::make_error("m claim false");
    return {};
  }
};

}  // namespace

TEST_CASE("table lookups are complete for relu and tanh over padded tensors", "[circuits]") {
  Case relu(relu_table(8), {3, 10}, 1);
  REQUIRE(relu.check(relu.prove(relu.x, relu.y, relu.m).proof, relu.x, relu.y, relu.m).ok());
  Case tanh(tanh_table(12), {2, 5, 7}, 2);
  REQUIRE(tanh.check(tanh.prove(tanh.x, tanh.y, tanh.m).proof, tanh.x, tanh.y, tanh.m).ok());
  Case full(relu_table(16), {64}, 3);  // a full 16-bit table
  REQUIRE(full.check(full.prove(full.x, full.y, full.m).proof, full.x, full.y, full.m).ok());
}

TEST_CASE("table lookups reject wrong outputs, wrong tables and tampered proofs", "[circuits]") {
  Case cs(tanh_table(10), {4, 9}, 5);
  auto out = cs.prove(cs.x, cs.y, cs.m);
  REQUIRE(cs.check(out.proof, cs.x, cs.y, cs.m).ok());

  SECTION("an output off by one at one entry") {
    auto y2 = cs.y;
    y2[2] += Fp::one();
    REQUIRE_FALSE(cs.check(cs.prove(cs.x, y2, cs.m).proof, cs.x, y2, cs.m).ok());
  }
  SECTION("an input outside the table is refused by the witness, and a forced proof fails") {
    auto xi = cs.xi;
    xi[1] = cs.table.in_lo + int64_t(cs.table.values.size());
    REQUIRE_FALSE(c::apply_table(cs.s, xi).ok());
    auto x2 = cs.x;
    x2[1] = Fp::from_i64(xi[1]);
    REQUIRE_FALSE(cs.check(cs.prove(x2, cs.y, cs.m).proof, x2, cs.y, cs.m).ok());
  }
  SECTION("a changed table entry or a different function in the statement") {
    auto other = cs.table;
    other.values[3] += 1;
    c::TableShape s2{cs.s.shape, &other};
    REQUIRE_FALSE(cs.check(out.proof, cs.x, cs.y, cs.m, &s2).ok());
    // A prover that uses the changed table does not convince a verifier of the right one.
    Transcript t("table-test");
    auto forged = c::prove_table(s2, cs.x, cs.y, cs.m, t);
    REQUIRE_FALSE(cs.check(forged.proof, cs.x, cs.y, cs.m).ok());
  }
  SECTION("a changed multiplicity") {
    auto m2 = cs.m;
    m2[7] += Fp::one();
    REQUIRE_FALSE(cs.check(cs.prove(cs.x, cs.y, m2).proof, cs.x, cs.y, m2).ok());
  }
  SECTION("tampered proof fields") {
    auto p = out.proof;
    p.lookup.table_evals[1] += Fp2::one();
    REQUIRE_FALSE(cs.check(p, cs.x, cs.y, cs.m).ok());
    p = out.proof;
    p.lookup.witness_evals[1] += Fp2::one();
    REQUIRE_FALSE(cs.check(p, cs.x, cs.y, cs.m).ok());
    p = out.proof;
    p.lookup.witness_layers[2].q0 += Fp2::one();
    REQUIRE_FALSE(cs.check(p, cs.x, cs.y, cs.m).ok());
  }
  SECTION("serialization") {
    zks::util::ByteWriter w;
    out.proof.write(w);
    auto bytes = w.take();
    zks::util::ByteReader r(bytes);
    auto back = c::TableProof::read(r, cs.s);
    REQUIRE(back.ok());
    REQUIRE(r.at_end());
    REQUIRE(cs.check(*back, cs.x, cs.y, cs.m).ok());
  }
  SECTION("a malformed table is refused") {
    c::FunctionTable bad;
    bad.values = {1, 2, 3};
    c::TableShape s3{cs.s.shape, &bad};
    REQUIRE_FALSE(s3.check().ok());
  }
}
