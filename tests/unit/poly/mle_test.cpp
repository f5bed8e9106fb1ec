#include <catch2/catch.hpp>
#include <random>

#include "unit/support.hpp"

#include "poly/mle.hpp"
#include "poly/padded.hpp"
#include "util/thread_pool.hpp"

using zks::field::Fp;
using zks::field::Fp2;
namespace poly = zks::poly;

namespace {
using zks::test::rand2;

// The definition: f(r) = sum_b t[b] prod_i (b_i ? r_i : 1 - r_i).
Fp2 naive_eval(const std::vector<Fp>& t, const std::vector<Fp2>& r) {
  Fp2 acc = Fp2::zero();
  for (size_t b = 0; b < t.size(); ++b) {
    Fp2 w = Fp2::one();
    for (size_t i = 0; i < r.size(); ++i) w *= ((b >> i) & 1) ? r[i] : Fp2::one() - r[i];
    acc += w * t[b];
  }
  return acc;
}
}  // namespace

TEST_CASE("MLE evaluation matches the definition and the table on the hypercube", "[poly]") {
  std::mt19937_64 rng(21);
  for (unsigned k = 0; k <= 9; ++k) {
    std::vector<Fp> t(size_t(1) << k);
    for (auto& x : t) x = Fp(rng());
    std::vector<Fp2> r(k);
    for (auto& x : r) x = rand2(rng);
    REQUIRE(poly::evaluate(t, r) == naive_eval(t, r));
    // On a Boolean point the MLE is the table entry (variable 0 = least significant bit).
    size_t b = k ? rng() % t.size() : 0;
    std::vector<Fp2> bits(k);
    for (unsigned i = 0; i < k; ++i) bits[i] = Fp2(Fp((b >> i) & 1));
    REQUIRE(poly::evaluate(t, bits) == Fp2(t[b]));
  }
}

TEST_CASE("eq_accumulate adds c times the eq table into its destination", "[poly]") {
  std::mt19937_64 rng(23);
  std::vector<Fp2> scratch;  // reused across sizes, as the opening reuses it
  for (unsigned k : {0u, 1u, 2u, 5u, 9u, 3u}) {
    CAPTURE(k);
    std::vector<Fp2> r(k), dst(size_t(1) << k);
    for (auto& x : r) x = rand2(rng);
    for (auto& x : dst) x = rand2(rng);
    const Fp2 c = rand2(rng);
    auto want = dst;
    auto table = poly::eq_table(r);
    for (size_t b = 0; b < want.size(); ++b) want[b] += c * table[b];
    poly::eq_accumulate(r, c, dst, scratch);
    REQUIRE(dst == want);
  }
}

TEST_CASE("eq table entries equal eq_eval and sum to one", "[poly]") {
  std::mt19937_64 rng(22);
  for (unsigned k = 0; k <= 8; ++k) {
    std::vector<Fp2> r(k);
    for (auto& x : r) x = rand2(rng);
    auto table = poly::eq_table(r);
    REQUIRE(table.size() == (size_t(1) << k));
    Fp2 sum = Fp2::zero();
    for (size_t b = 0; b < table.size(); ++b) {
      std::vector<Fp2> bits(k);
      for (unsigned i = 0; i < k; ++i) bits[i] = Fp2(Fp((b >> i) & 1));
      REQUIRE(table[b] == poly::eq_eval(r, bits));
      sum += table[b];
    }
    REQUIRE(sum == Fp2::one());
  }
}

TEST_CASE("folding variable 0 then evaluating equals evaluating", "[poly]") {
  std::mt19937_64 rng(23);
  unsigned k = 7;
  std::vector<Fp> t(size_t(1) << k);
  for (auto& x : t) x = Fp(rng());
  std::vector<Fp2> r(k);
  for (auto& x : r) x = rand2(rng);
  auto folded = poly::fold(std::span<const Fp>(t), r[0]);
  REQUIRE(folded.size() == t.size() / 2);
  REQUIRE(poly::evaluate(std::span<const Fp2>(folded), std::span<const Fp2>(r).subspan(1)) ==
          poly::evaluate(std::span<const Fp>(t), r));
  auto in_place = std::vector<Fp2>(t.begin(), t.end());
  poly::fold_in_place(in_place, r[0]);
  REQUIRE(in_place == folded);
}

TEST_CASE("fold and eq kernels (eight lanes at a time) equal the scalar formulas, edge values included", "[poly]") {
  // Values where the vectorised carries and reductions have their corner cases.
  const uint64_t edge[] = {0, 1, Fp::P - 1, Fp::P - 2, 0xFFFFFFFFull, 0x100000000ull, 0x100000001ull,
                           0x8000000000000000ull, 0xFFFFFFFEFFFFFFFFull, 0x7FFFFFFF80000000ull};
  std::mt19937_64 rng(25);
  auto val = [&] { return rng() % 2 ? Fp(edge[rng() % std::size(edge)]) : Fp(rng()); };
  auto val2 = [&] { return Fp2(val(), val()); };
  for (size_t half : {1, 3, 4, 7, 8, 9, 17, 33, (1 << 14) + 5}) {
    CAPTURE(half);
    std::vector<Fp> t(2 * half);
    for (auto& x : t) x = val();
    std::vector<Fp2> t2(2 * half);
    for (auto& x : t2) x = val2();
    const Fp2 r = val2();
    auto f = poly::fold(std::span<const Fp>(t), r);
    auto f2 = poly::fold(std::span<const Fp2>(t2), r);
    auto in_place = t2;
    poly::fold_in_place(in_place, r);
    for (size_t i = 0; i < half; ++i) {
      REQUIRE(f[i] == Fp2(t[2 * i]) + r * (Fp2(t[2 * i + 1]) - Fp2(t[2 * i])));
      REQUIRE(f2[i] == t2[2 * i] + r * (t2[2 * i + 1] - t2[2 * i]));
      REQUIRE(in_place[i] == f2[i]);
    }
  }
  for (unsigned k : {1u, 2u, 3u, 6u}) {
    std::vector<Fp2> r(k);
    for (auto& x : r) x = val2();
    auto table = poly::eq_table(r);
    for (size_t b = 0; b < table.size(); ++b) {
      std::vector<Fp2> bits(k);
      for (unsigned i = 0; i < k; ++i) bits[i] = Fp2(Fp((b >> i) & 1));
      REQUIRE(table[b] == poly::eq_eval(r, bits));
    }
  }
}

TEST_CASE("large MLE operations agree across thread counts", "[poly]") {
  std::mt19937_64 rng(24);
  unsigned k = 16;
  std::vector<Fp> t(size_t(1) << k);
  for (auto& x : t) x = Fp(rng());
  std::vector<Fp2> r(k);
  for (auto& x : r) x = rand2(rng);
  zks::util::ThreadPool::set_global_threads(1);
  Fp2 one_thread = poly::evaluate(t, r);
  auto eq1 = poly::eq_table(r);
  zks::util::ThreadPool::set_global_threads(4);
  REQUIRE(poly::evaluate(t, r) == one_thread);
  REQUIRE(poly::eq_table(r) == eq1);
  // sum_b t[b] eq(r, b) = f(r)
  Fp2 dot = Fp2::zero();
  for (size_t b = 0; b < t.size(); ++b) dot += eq1[b] * t[b];
  REQUIRE(dot == one_thread);
  zks::util::ThreadPool::set_global_threads(0);
}

TEST_CASE("log2_ceil and padding", "[poly]") {
  REQUIRE(poly::log2_ceil(0) == 0);
  REQUIRE(poly::log2_ceil(1) == 0);
  REQUIRE(poly::log2_ceil(2) == 1);
  REQUIRE(poly::log2_ceil(3) == 2);
  REQUIRE(poly::log2_ceil(1024) == 10);
  REQUIRE(poly::log2_ceil(1025) == 11);
  std::vector<Fp> v(5, Fp(3));
  auto p = poly::pad_pow2(v);
  REQUIRE(p.size() == 8);
  REQUIRE(p[4] == Fp(3));
  REQUIRE(p[5] == Fp::zero());
}

TEST_CASE("padded indices and real masks by counting equal the per-index functions", "[poly]") {
  using zks::poly::PaddedShape;
  std::vector<PaddedShape> shapes = {PaddedShape(std::vector<uint32_t>{}), PaddedShape({1}), PaddedShape({5}),
                                     PaddedShape({3, 5, 6}), PaddedShape({1, 7, 1, 9}), PaddedShape({4, 4})};
  for (const auto& s : shapes) {
    CAPTURE(s.to_string());
    auto idx = s.padded_indices();
    REQUIRE(idx.size() == s.real_count());
    for (size_t i = 0; i < idx.size(); ++i) REQUIRE(idx[i] == s.padded_index(i));
    auto mask = s.real_mask();
    REQUIRE(mask.size() == s.padded_size());
    for (size_t x = 0; x < mask.size(); ++x) REQUIRE(bool(mask[x]) == s.is_real(x));
  }
  zks::poly::BlockLayout layout({PaddedShape({3, 5}), PaddedShape({7}), PaddedShape({2, 2, 3})});
  auto mask = layout.real_mask();
  REQUIRE(mask.size() == layout.padded_size());
  for (size_t x = 0; x < mask.size(); ++x) REQUIRE(bool(mask[x]) == layout.is_real(x));
}

TEST_CASE("lt_eval is the MLE of the selector index < n", "[poly]") {
  std::mt19937_64 rng(25);
  for (unsigned k = 0; k <= 6; ++k) {
    std::vector<Fp2> r(k);
    for (auto& x : r) x = rand2(rng);
    for (uint64_t n = 0; n <= (uint64_t(1) << k); ++n) {
      std::vector<Fp> sel(size_t(1) << k, Fp::zero());
      for (uint64_t b = 0; b < n; ++b) sel[b] = Fp::one();
      CAPTURE(k, n);
      REQUIRE(poly::lt_eval(n, r) == poly::evaluate(sel, r));
    }
  }
}

// A layout whose blocks are at least 2^7 entries (a private lookup's witness, its blocks
// its columns as committed): every block at an offset of its own size, the real mask,
// the selector, and combine() all agree with the table concat() lays out.
TEST_CASE("a block layout with a least block size agrees with its table", "[poly]") {
  using zks::poly::PaddedShape;
  std::mt19937_64 rng(26);
  const std::vector<PaddedShape> shapes = {PaddedShape({3, 5}), PaddedShape({300}), PaddedShape({2, 2, 3}),
                                           PaddedShape::flat(1)};
  const zks::poly::BlockLayout layout(shapes, 7);
  REQUIRE(layout.num_vars() == 10);  // 512 + 3 x 128
  std::vector<std::vector<Fp>> tables;
  std::vector<std::span<const Fp>> spans;
  for (size_t b = 0; b < shapes.size(); ++b) {
    CAPTURE(b);
    CHECK(layout.block_vars(b) == std::max(7u, shapes[b].num_vars()));
    CHECK(layout.offset(b) % (size_t(1) << layout.block_vars(b)) == 0);
    auto& t = tables.emplace_back(size_t(1) << layout.block_vars(b), Fp::zero());
    for (size_t i : shapes[b].padded_indices()) t[i] = Fp(rng());
    spans.push_back(t);
  }
  const auto table = layout.concat(spans);
  const auto mask = layout.real_mask();
  REQUIRE(table.size() == layout.padded_size());
  std::vector<Fp> sel(mask.size());
  for (size_t x = 0; x < mask.size(); ++x) {
    CHECK(bool(mask[x]) == layout.is_real(x));
    CHECK((mask[x] == 0) <= table[x].is_zero());  // only real entries are filled
    sel[x] = mask[x] ? Fp::one() : Fp::zero();
  }
  std::vector<Fp2> r(layout.num_vars());
  for (auto& x : r) x = rand2(rng);
  CHECK(layout.selector(r) == zks::poly::evaluate(std::span<const Fp>(sel), r));
  std::vector<Fp2> block_evals;
  for (size_t b = 0; b < shapes.size(); ++b)
    block_evals.push_back(
        zks::poly::evaluate(std::span<const Fp>(tables[b]), std::span<const Fp2>(r).first(layout.block_vars(b))));
  CHECK(layout.combine(r, block_evals) == zks::poly::evaluate(std::span<const Fp>(table), r));
}
