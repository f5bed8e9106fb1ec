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

// One tensor (x, y) per block; the blocks share one lookup.
struct Case {
  c::FunctionTable table;
  c::TableShape s;
  std::vector<std::vector<int64_t>> xi;
  std::vector<std::vector<Fp>> x, y;
  std::vector<Fp> m;

  Case(c::FunctionTable tb, std::vector<std::vector<uint32_t>> dims, uint64_t seed) : table(std::move(tb)) {
    std::vector<zks::poly::PaddedShape> shapes;
    for (auto& d : dims) shapes.emplace_back(d);
    s = c::TableShape{zks::poly::BlockLayout(shapes), &table};
    std::mt19937_64 rng(seed);
    for (const auto& sh : shapes) {
      std::vector<int64_t> v(sh.padded_size(), 0);
      for (size_t i = 0; i < v.size(); ++i)
        if (sh.is_real(i)) v[i] = table.in_lo + int64_t(rng() % table.values.size());
      std::vector<Fp> f;
      for (auto e : v) f.push_back(Fp::from_i64(e));
      auto yr = c::apply_table(table, sh, v);
      REQUIRE(yr.ok());
      xi.push_back(v), x.push_back(f), y.push_back(*yr);
    }
    auto mr = c::table_multiplicities(s, spans(x));
    REQUIRE(mr.ok());
    m = *mr;
  }

  static std::vector<std::span<const Fp>> spans(const std::vector<std::vector<Fp>>& v) {
    return {v.begin(), v.end()};
  }

  c::TableProverOutput prove(const std::vector<std::vector<Fp>>& xs, const std::vector<std::vector<Fp>>& ys,
                             const std::vector<Fp>& ms) const {
    Transcript t("table-test");
    return c::prove_table(s, spans(xs), spans(ys), ms, t);
  }

  zks::Status check(const c::TableProof& p, const std::vector<std::vector<Fp>>& xs,
                    const std::vector<std::vector<Fp>>& ys, const std::vector<Fp>& ms,
                    const c::TableShape* other = nullptr) const {
    Transcript t("table-test");
    auto claims = c::verify_table(other ? *other : s, p, t);
    if (!claims.ok()) return zks::make_error(claims.error());
    for (size_t b = 0; b < xs.size(); ++b) {
      if (zks::poly::evaluate(xs[b], claims->inputs[b].point) != claims->inputs[b].value) return zks::make_error("x claim false");
      if (zks::poly::evaluate(ys[b], claims->outputs[b].point) != claims->outputs[b].value) return zks::make_error("y claim false");
    }
    if (zks::poly::evaluate(ms, claims->multiplicities.point) != claims->multiplicities.value)
      return zks::make_error("m claim false");
    return {};
  }
};

}  // namespace

TEST_CASE("table lookups are complete for relu and tanh over padded tensors", "[circuits]") {
  Case relu(relu_table(8), {{3, 10}}, 1);
  REQUIRE(relu.check(relu.prove(relu.x, relu.y, relu.m).proof, relu.x, relu.y, relu.m).ok());
  Case tanh(tanh_table(12), {{2, 5, 7}}, 2);
  REQUIRE(tanh.check(tanh.prove(tanh.x, tanh.y, tanh.m).proof, tanh.x, tanh.y, tanh.m).ok());
  Case full(relu_table(16), {{64}}, 3);  // a full 16-bit table
  REQUIRE(full.check(full.prove(full.x, full.y, full.m).proof, full.x, full.y, full.m).ok());
  // Three tensors of different shapes sharing one lookup.
  Case shared(tanh_table(10), {{3, 10}, {1, 5}, {2, 2, 9}}, 4);
  REQUIRE(shared.check(shared.prove(shared.x, shared.y, shared.m).proof, shared.x, shared.y, shared.m).ok());
}

TEST_CASE("table lookups reject wrong outputs, wrong tables and tampered proofs", "[circuits]") {
  Case cs(tanh_table(10), {{4, 9}, {7}}, 5);
  auto out = cs.prove(cs.x, cs.y, cs.m);
  REQUIRE(cs.check(out.proof, cs.x, cs.y, cs.m).ok());

  SECTION("an output off by one at one entry") {
    auto y2 = cs.y;
    y2[1][2] += Fp::one();
    REQUIRE_FALSE(cs.check(cs.prove(cs.x, y2, cs.m).proof, cs.x, y2, cs.m).ok());
  }
  SECTION("an input outside the table is refused by the witness, and a forced proof fails") {
    auto xi = cs.xi[0];
    xi[1] = cs.table.in_lo + int64_t(cs.table.values.size());
    REQUIRE_FALSE(c::apply_table(cs.table, cs.s.layout.blocks()[0], xi).ok());
    auto x2 = cs.x;
    x2[0][1] = Fp::from_i64(xi[1]);
    REQUIRE_FALSE(cs.check(cs.prove(x2, cs.y, cs.m).proof, x2, cs.y, cs.m).ok());
  }
  SECTION("a changed table entry or a different function in the statement") {
    auto other = cs.table;
    other.values[3] += 1;
    c::TableShape s2{cs.s.layout, &other};
    REQUIRE_FALSE(cs.check(out.proof, cs.x, cs.y, cs.m, &s2).ok());
    // A prover that uses the changed table does not convince a verifier of the right one.
    Transcript t("table-test");
    auto forged = c::prove_table(s2, Case::spans(cs.x), Case::spans(cs.y), cs.m, t);
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
    for (size_t b = 0; b < 2; ++b) {
      p = out.proof;
      p.input_evals[b] += Fp2::one();
      REQUIRE_FALSE(cs.check(p, cs.x, cs.y, cs.m).ok());
      p = out.proof;
      p.output_evals[b] += Fp2::one();
      REQUIRE_FALSE(cs.check(p, cs.x, cs.y, cs.m).ok());
    }
  }
  SECTION("blocks swapped in the statement") {
    c::TableShape s2{zks::poly::BlockLayout({cs.s.layout.blocks()[1], cs.s.layout.blocks()[0]}), &cs.table};
    REQUIRE_FALSE(cs.check(out.proof, cs.x, cs.y, cs.m, &s2).ok());
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
    c::TableShape s3{cs.s.layout, &bad};
    REQUIRE_FALSE(s3.check().ok());
  }
}

TEST_CASE("a lookup into a window of its table: consecutive entries or listed rows", "[circuits]") {
  const auto full = tanh_table(12);
  // Inputs in a narrow band, and a few spread over the table.
  auto inputs_in = [&](std::vector<int64_t> xs) {
    std::vector<Fp> f;
    for (auto v : xs) f.push_back(Fp::from_i64(v));
    return f;
  };
  zks::poly::PaddedShape shape({40});  // 64 entries, 40 real
  c::TableShape s{zks::poly::BlockLayout({shape}), &full};
  std::vector<int64_t> band_in(64, 0), spread_in(64, 0), top_in(64, 0);
  for (size_t i = 0; i < 40; ++i) {
    band_in[i] = -300 + int64_t(i);                                     // 40 distinct, 40 apart
    spread_in[i] = std::vector<int64_t>{-2000, 0, 1500, 2047}[i % 4];   // 4 distinct, 4047 apart
    top_in[i] = 2047 - int64_t(i % 5);
  }
  auto band = inputs_in(band_in), spread = inputs_in(spread_in);

  auto w_band = c::smallest_window(s, {band});
  REQUIRE(w_band.ok());
  CHECK(w_band->rows.empty());
  CHECK(w_band->bits == 6);  // 39 apart: 64 consecutive entries (a row list is no shorter)
  CHECK(int64_t(w_band->first) + full.in_lo == -300);
  auto w_spread = c::smallest_window(s, {spread});
  REQUIRE(w_spread.ok());
  CHECK(w_spread->bits == 2);  // 4 distinct inputs: their rows
  REQUIRE(w_spread->rows.size() == 4);
  CHECK(std::is_sorted(w_spread->rows.begin(), w_spread->rows.end()));
  // Near the table's end the window moves down; a table's own size is the largest.
  auto top = c::smallest_window(s, {inputs_in(top_in)});
  REQUIRE(top.ok());
  CHECK(top->first + (1u << top->bits) == full.values.size());

  for (const auto* w : {&*w_band, &*w_spread}) {
    const auto& xs = w == &*w_band ? band : spread;
    auto sub = c::table_window(full, *w);
    REQUIRE(sub.ok());
    c::TableShape ws{s.layout, &*sub};
    std::vector<int64_t> xi;
    for (auto v : xs) xi.push_back(v.to_i64_centered());
    auto y = c::apply_table(full, shape, xi);
    REQUIRE(y.ok());
    auto m = c::table_multiplicities(ws, {xs});
    REQUIRE(m.ok());
    CHECK(m->size() == (size_t(1) << w->bits));
    auto prove = [&](const c::TableShape& shp, const std::vector<Fp>& x, const std::vector<Fp>& yv, const std::vector<Fp>& mv) {
      Transcript t("window-test");
      return c::prove_table(shp, {x}, {yv}, mv, t);
    };
    auto verify = [&](const c::TableShape& shp, const c::TableProof& p) {
      Transcript t("window-test");
      return c::verify_table(shp, p, t);
    };
    auto out = prove(ws, xs, *y, *m);
    auto claims = verify(ws, out.proof);
    REQUIRE(claims.ok());
    CHECK(zks::poly::evaluate(std::span<const Fp>(*m), claims->multiplicities.point) == claims->multiplicities.value);
    CHECK(zks::poly::evaluate(std::span<const Fp>(*y), claims->outputs[0].point) == claims->outputs[0].value);

    // A different window (moved by one entry, or one listed row changed) is another table.
    auto moved = *w;
    if (moved.rows.empty()) ++moved.first;
    else ++moved.rows.front();
    auto other = c::table_window(full, moved);
    REQUIRE(other.ok());
    c::TableShape os{s.layout, &*other};
    CHECK_FALSE(verify(os, out.proof).ok());
    // An input outside the window has no row: the multiplicities cannot be built, and
    // a proof with an input moved out of the window fails.
    auto x2 = xs;
    x2[0] = Fp::from_i64(full.in_lo + 1000);  // in neither window
    CHECK_FALSE(c::table_multiplicities(ws, {x2}).ok());
    auto y2 = *y;
    y2[0] = Fp::from_i64(full.values[1000]);
    CHECK_FALSE(verify(ws, prove(ws, x2, y2, *m).proof).ok());
    // With the whole table named, its hash is absorbed too: a proof is bound to every
    // entry of the table, also those outside the window.
    c::TableShape bound{s.layout, &*sub, &full};
    auto bound_out = prove(bound, xs, *y, *m);
    REQUIRE(verify(bound, bound_out.proof).ok());
    CHECK_FALSE(verify(ws, bound_out.proof).ok());
    auto changed = full;
    changed.values[1000] += 1;  // in neither window
    c::TableShape changed_whole{s.layout, &*sub, &changed};
    CHECK_FALSE(verify(changed_whole, bound_out.proof).ok());
    // An output that is not f(x) (one the full table holds for another input) fails too.
    auto y3 = *y;
    y3[1] = Fp::from_i64(full.values[100]);
    CHECK_FALSE(verify(ws, prove(ws, xs, y3, *m).proof).ok());
  }

  SECTION("malformed windows are refused") {
    CHECK_FALSE(c::table_window(full, {13, 0, {}}).ok());                  // larger than the table
    CHECK_FALSE(c::table_window(full, {4, 4090, {}}).ok());                // past its end
    CHECK_FALSE(c::table_window(full, {1, 0, {5, 5}}).ok());               // a row twice
    CHECK_FALSE(c::table_window(full, {1, 0, {7, 5}}).ok());               // not increasing
    CHECK_FALSE(c::table_window(full, {1, 0, {5, 4096}}).ok());            // a row past the end
    CHECK_FALSE(c::table_window(full, {2, 0, {1, 2, 3}}).ok());            // not 2^bits rows
    std::vector<uint32_t> many(2048);
    for (uint32_t i = 0; i < many.size(); ++i) many[i] = i;
    CHECK_FALSE(c::table_window(full, {11, 0, many}).ok());                // more rows than a list may hold
    auto sub = c::table_window(full, {2, 0, {1, 2, 3, 4}});
    REQUIRE(sub.ok());
    CHECK_FALSE(c::table_window(*sub, {1, 0, {}}).ok());                   // a window of a window
    CHECK(sub->content_hash() != c::table_window(full, {2, 1, {}})->content_hash());  // same values, listed rows
  }
}
