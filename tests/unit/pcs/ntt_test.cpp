#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "pcs/encoding.hpp"
#include "pcs/ntt.hpp"

using zks::field::Fp;
using zks::field::Fp2;
namespace pcs = zks::pcs;

namespace {
std::vector<Fp> random_vec(size_t n, std::mt19937_64& rng) {
  std::vector<Fp> v(n);
  for (auto& x : v) x = Fp(rng());
  return v;
}

// A[k] = sum_j a_j w^(jk), O(n^2).
std::vector<Fp> naive_dft(const std::vector<Fp>& a) {
  size_t n = a.size();
  unsigned lg = 0;
  while ((size_t(1) << lg) < n) ++lg;
  Fp w = pcs::root_of_unity(lg);
  std::vector<Fp> out(n);
  Fp wk = Fp::one();
  for (size_t k = 0; k < n; ++k) {
    Fp acc = Fp::zero(), x = Fp::one();
    for (size_t j = 0; j < n; ++j) acc += a[j] * x, x *= wk;
    out[k] = acc;
    wk *= w;
  }
  return out;
}
}  // namespace

TEST_CASE("roots of unity have the right order", "[ntt]") {
  for (unsigned lg = 0; lg <= 32; ++lg) {
    Fp w = pcs::root_of_unity(lg);
    Fp x = w;
    for (unsigned i = 0; i < lg; ++i) x = x.square();
    CHECK(x == Fp::one());
    if (lg > 0) {
      Fp y = w;
      for (unsigned i = 0; i + 1 < lg; ++i) y = y.square();
      CHECK(y == -Fp::one());  // order exactly 2^lg
    }
    CHECK(w * pcs::inverse_root_of_unity(lg) == Fp::one());
  }
}

TEST_CASE("bit reversal", "[ntt]") {
  CHECK(pcs::reverse_bits(0b0011, 4) == 0b1100);
  CHECK(pcs::reverse_bits(1, 1) == 1);
  CHECK(pcs::reverse_bits(5, 0) == 0);
  CHECK(pcs::reverse_bits(1, 32) == (size_t(1) << 31));
}

TEST_CASE("scale_by_powers (eight lanes at a time) equals the running product", "[ntt]") {
  std::mt19937_64 rng(4);
  for (size_t n : {0, 1, 7, 8, 9, 23, 64, 100, (1 << 15) + 3}) {
    CAPTURE(n);
    auto in = random_vec(n, rng);
    const Fp first(rng()), step(rng());
    std::vector<Fp> got(n);
    pcs::scale_by_powers(in, got, first, step);
    Fp x = first;
    for (size_t l = 0; l < n; ++l, x *= step) REQUIRE(got[l] == in[l] * x);
  }
}

TEST_CASE("NTT matches the naive DFT", "[ntt]") {
  std::mt19937_64 rng(1);
  for (unsigned lg = 0; lg <= 10; ++lg) {
    auto a = random_vec(size_t(1) << lg, rng);
    auto want = naive_dft(a);
    auto got = a;
    pcs::ntt(got);
    CHECK(got == want);
    // DIF output is the bit-reversed DFT.
    auto dif = a;
    pcs::ntt_dif(dif);
    for (size_t k = 0; k < a.size(); ++k) REQUIRE(dif[pcs::reverse_bits(k, lg)] == want[k]);
  }
}

TEST_CASE("NTT butterflies (eight lanes at a time) match the naive DFT on values at the field's edges", "[ntt]") {
  // Values where the vectorised carries and reductions have their corner cases: 0, 1,
  // p - 1, p - 2, 2^32 - 1, 2^32, 2^32 + 1, 2^63, and products of such.
  const uint64_t edge[] = {0, 1, Fp::P - 1, Fp::P - 2, 0xFFFFFFFFull, 0x100000000ull, 0x100000001ull,
                           0x8000000000000000ull, 0xFFFFFFFEFFFFFFFFull, 0x7FFFFFFF80000000ull};
  std::mt19937_64 rng(9);
  for (unsigned lg : {3u, 4u, 6u, 9u}) {
    CAPTURE(lg);
    std::vector<Fp> a(size_t(1) << lg);
    for (auto& x : a) x = Fp(edge[rng() % std::size(edge)]);
    auto want = naive_dft(a);
    auto got = a;
    pcs::ntt(got);
    REQUIRE(got == want);
    pcs::intt(got);
    REQUIRE(got == a);
  }
}

TEST_CASE("NTT round trips up to 2^16 (parallel path included)", "[ntt]") {
  std::mt19937_64 rng(2);
  for (unsigned lg = 0; lg <= 16; ++lg) {
    auto a = random_vec(size_t(1) << lg, rng);
    auto b = a;
    pcs::ntt(b);
    pcs::intt(b);
    REQUIRE(b == a);
    auto c = a;
    pcs::ntt_dif(c);
    pcs::intt_dit(c);
    REQUIRE(c == a);
  }
}

TEST_CASE("NTT above the block size agrees with the naive DFT at sampled points and round trips", "[ntt]") {
  // 2^13: one level above the 2^12 block; 2^14: two; 2^21: nine, in two tiled groups.
  std::mt19937_64 rng(3);
  for (unsigned lg : {13u, 14u, 21u}) {
    CAPTURE(lg);
    const size_t n = size_t(1) << lg;
    auto a = random_vec(n, rng);
    auto got = a;
    pcs::ntt(got);
    Fp w = pcs::root_of_unity(lg);
    for (size_t k : {size_t(0), size_t(1), size_t(777), n / 2 - 1, n / 2 + 3, n - 1}) {
      Fp x = w.pow(k), acc = Fp::zero(), xp = Fp::one();
      for (const Fp& c : a) acc += c * xp, xp *= x;
      REQUIRE(got[k] == acc);
    }
    pcs::intt(got);
    REQUIRE(got == a);
  }
}

TEST_CASE("monomial basis change above the block size matches the definition at sampled points", "[ntt]") {
  std::mt19937_64 rng(6);
  const unsigned lg = 21;
  auto e = random_vec(size_t(1) << lg, rng);
  auto c = e;
  pcs::detail::evals_to_coeffs(std::span<Fp>(c));
  // f(b) = sum over subsets S of b of c_S, at points b with few bits set (across levels
  // in both tiled groups and the block).
  for (size_t b : {size_t(0), size_t(1) << 20, (size_t(1) << 20) | (size_t(1) << 13) | 5, (size_t(1) << 16) | 0x803,
                   (size_t(1) << lg) - 1}) {
    Fp acc = Fp::zero();
    for (size_t s = b;; s = (s - 1) & b) {  // every subset of b
      acc += c[s];
      if (s == 0) break;
    }
    REQUIRE(acc == e[b]);
  }
  pcs::detail::coeffs_to_evals(std::span<Fp>(c));
  REQUIRE(c == e);
}

TEST_CASE("monomial basis change round trips and matches the definition", "[ntt]") {
  std::mt19937_64 rng(4);
  for (unsigned n = 0; n <= 14; ++n) {
    auto e = random_vec(size_t(1) << n, rng);
    auto c = e;
    pcs::detail::evals_to_coeffs(std::span<Fp>(c));
    if (n <= 6) {
      // f(b) = sum over subsets S of b of c_S.
      for (size_t b = 0; b < e.size(); ++b) {
        Fp acc = Fp::zero();
        for (size_t s = 0; s < e.size(); ++s)
          if ((s & b) == s) acc += c[s];
        REQUIRE(acc == e[b]);
      }
    }
    pcs::detail::coeffs_to_evals(std::span<Fp>(c));
    REQUIRE(c == e);
  }
}

TEST_CASE("RS encoding evaluates the coefficient polynomial in bit-reversed order", "[ntt]") {
  std::mt19937_64 rng(5);
  for (unsigned n = 0; n <= 8; ++n) {
    auto c = random_vec(size_t(1) << n, rng);
    auto cw = pcs::detail::rs_encode(std::span<const Fp>(c), 2);
    REQUIRE(cw.size() == (size_t(4) << n));
    unsigned lg = n + 2;
    Fp w = pcs::root_of_unity(lg);
    for (size_t pos = 0; pos < cw.size(); pos += 1 + pos / 3) {
      Fp x = w.pow(pcs::reverse_bits(pos, lg)), acc = Fp::zero(), xp = Fp::one();
      for (const Fp& ci : c) acc += ci * xp, xp *= x;
      REQUIRE(cw[pos] == acc);
    }
  }
}

TEST_CASE("one fold of a codeword is the codeword of the folded message", "[ntt]") {
  std::mt19937_64 rng(6);
  for (unsigned n = 1; n <= 10; ++n) {
    auto c = random_vec(size_t(1) << n, rng);
    Fp2 r{Fp(rng()), Fp(rng())};
    auto cw = pcs::detail::rs_encode(std::span<const Fp>(c), 2);
    auto itx = pcs::detail::inv_two_x_table(n + 2);
    auto folded = pcs::detail::fold_codeword(std::span<const Fp>(cw), r, itx->data());
    std::vector<Fp2> c2(c.size() / 2);
    for (size_t i = 0; i < c2.size(); ++i) c2[i] = Fp2(c[2 * i]) + r * c[2 * i + 1];
    auto want = pcs::detail::rs_encode(std::span<const Fp2>(c2), 2);
    REQUIRE(folded == want);
  }
}
