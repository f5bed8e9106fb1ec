// Goldilocks and F_{p^2} checked against GMP big-integer arithmetic.
#include <gmp.h>

#include <catch2/catch.hpp>
#include <random>

#include "field/field.hpp"

using zks::field::Fp;
using zks::field::Fp2;

namespace {

constexpr uint64_t P = Fp::P;

// Reference arithmetic mod p through GMP.
struct Gmp {
  mpz_t p, a, b, r;
  Gmp() {
    mpz_inits(p, a, b, r, nullptr);
    mpz_set_ui(p, 0);
    mpz_set_str(p, "18446744069414584321", 10);
  }
  ~Gmp() { mpz_clears(p, a, b, r, nullptr); }
  uint64_t get() {
    mpz_mod(r, r, p);
    return mpz_get_ui(r);
  }
  uint64_t add(uint64_t x, uint64_t y) {
    mpz_set_ui(a, x), mpz_set_ui(b, y), mpz_add(r, a, b);
    return get();
  }
  uint64_t sub(uint64_t x, uint64_t y) {
    mpz_set_ui(a, x), mpz_set_ui(b, y), mpz_sub(r, a, b);
    return get();
  }
  uint64_t mul(uint64_t x, uint64_t y) {
    mpz_set_ui(a, x), mpz_set_ui(b, y), mpz_mul(r, a, b);
    return get();
  }
  uint64_t pow(uint64_t x, uint64_t e) {
    mpz_set_ui(a, x), mpz_set_ui(b, e), mpz_powm(r, a, b, p);
    return get();
  }
  uint64_t inv(uint64_t x) {
    mpz_set_ui(a, x);
    REQUIRE(mpz_invert(r, a, p) != 0);
    return get();
  }
  uint64_t from_i64(int64_t x) {
    mpz_set_si(r, x);
    return get();
  }
};

std::vector<uint64_t> sample_values(std::mt19937_64& rng, size_t n) {
  std::vector<uint64_t> v = {0, 1, 2, P - 1, P - 2, 1ull << 32, (1ull << 32) - 1, (1ull << 32) + 1,
                             P / 2, P / 2 + 1, 0xFFFFFFFFull << 32, 1ull << 63};
  for (size_t i = 0; i < n; ++i) {
    uint64_t x = rng();
    v.push_back(x % P);
    v.push_back(rng() >> (rng() % 64));  // small values too
  }
  return v;
}

Fp2 random_fp2(std::mt19937_64& rng) { return Fp2(Fp(rng()), Fp(rng())); }

}  // namespace

TEST_CASE("goldilocks add sub mul match GMP on random and edge values", "[field]") {
  Gmp g;
  std::mt19937_64 rng(1);
  auto vals = sample_values(rng, 300);
  for (uint64_t x : vals) {
    for (size_t j = 0; j < 40; ++j) {
      uint64_t y = vals[(x + j * 7919) % vals.size()];
      Fp a(x), b(y);
      REQUIRE((a + b).value() == g.add(x, y));
      REQUIRE((a - b).value() == g.sub(x, y));
      REQUIRE((a * b).value() == g.mul(x, y));
    }
  }
}

TEST_CASE("goldilocks reduces inputs at or above p", "[field]") {
  Gmp g;
  for (uint64_t x : std::vector<uint64_t>{P, P + 1, ~0ull, ~0ull - 5, P + (1ull << 31)}) {
    mpz_set_ui(g.r, x);
    REQUIRE(Fp(x).value() == g.get());
    REQUIRE(Fp(x).value() < P);
  }
}

TEST_CASE("goldilocks pow and inverse match GMP", "[field]") {
  Gmp g;
  std::mt19937_64 rng(2);
  for (int i = 0; i < 200; ++i) {
    uint64_t x = rng() % P, e = rng();
    REQUIRE(Fp(x).pow(e).value() == g.pow(x, e));
    if (x != 0) {
      REQUIRE(Fp(x).inverse().value() == g.inv(x));
      REQUIRE((Fp(x) * Fp(x).inverse()) == Fp::one());
    }
  }
  REQUIRE(Fp(P - 1).inverse() == Fp(P - 1));
  REQUIRE(Fp::zero().inverse() == Fp::zero());
}

TEST_CASE("goldilocks from signed integers matches GMP", "[field]") {
  Gmp g;
  std::mt19937_64 rng(3);
  std::vector<int64_t> xs = {0, 1, -1, INT64_MAX, INT64_MIN, INT64_MIN + 1, -(1ll << 32), 1ll << 40};
  for (int i = 0; i < 200; ++i) xs.push_back(static_cast<int64_t>(rng()));
  for (int64_t x : xs) {
    REQUIRE(Fp::from_i64(x).value() == g.from_i64(x));
    if (x > -(int64_t)(P / 2) && x < (int64_t)(P / 2)) REQUIRE(Fp::from_i64(x).to_i64_centered() == x);
  }
}

TEST_CASE("goldilocks batch inverse equals element-wise inverse and keeps zeros", "[field]") {
  std::mt19937_64 rng(4);
  std::vector<Fp> xs;
  for (int i = 0; i < 257; ++i) xs.push_back(i % 17 == 3 ? Fp::zero() : Fp(rng()));
  auto ys = xs;
  zks::field::batch_inverse(ys);
  for (size_t i = 0; i < xs.size(); ++i) REQUIRE(ys[i] == xs[i].inverse());
}

TEST_CASE("goldilocks has a 2^32 root-of-unity subgroup", "[field]") {
  Fp g = Fp(zks::field::kMultiplicativeGenerator).pow((P - 1) >> 32);
  REQUIRE(g.pow(1ull << 32) == Fp::one());
  REQUIRE(g.pow(1ull << 31) == Fp(P - 1));
}

TEST_CASE("7 is a quadratic non-residue so X^2 - 7 is irreducible", "[field]") {
  REQUIRE(Fp(7).pow((P - 1) / 2) == Fp(P - 1));
}

TEST_CASE("F_p2 multiplication matches the schoolbook product mod X^2 - 7 via GMP", "[field]") {
  Gmp g;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 500; ++i) {
    uint64_t a0 = rng() % P, a1 = rng() % P, b0 = rng() % P, b1 = rng() % P;
    Fp2 x{Fp(a0), Fp(a1)}, y{Fp(b0), Fp(b1)};
    Fp2 z = x * y;
    uint64_t c0 = g.add(g.mul(a0, b0), g.mul(7, g.mul(a1, b1)));
    uint64_t c1 = g.add(g.mul(a0, b1), g.mul(a1, b0));
    REQUIRE(z.c0().value() == c0);
    REQUIRE(z.c1().value() == c1);
  }
}

TEST_CASE("F_p2 field laws: inverse, distributivity, pow, base embedding", "[field]") {
  std::mt19937_64 rng(6);
  for (int i = 0; i < 300; ++i) {
    Fp2 a = random_fp2(rng), b = random_fp2(rng), c = random_fp2(rng);
    REQUIRE(a * (b + c) == a * b + a * c);
    REQUIRE(a * b == b * a);
    REQUIRE((a * b) * c == a * (b * c));
    REQUIRE(a - a == Fp2::zero());
    if (!a.is_zero()) REQUIRE(a * a.inverse() == Fp2::one());
    REQUIRE(a.pow(5) == a * a * a * a * a);
    Fp s(rng());
    REQUIRE(a * s == a * Fp2(s));
  }
  // (p^2 - 1) is the order of the multiplicative group: a^(p+1) = norm(a) lies in F_p.
  Fp2 a = random_fp2(rng);
  REQUIRE(a.pow(P).pow(1) * a == Fp2(a.norm()));
  REQUIRE(Fp2::zero().inverse() == Fp2::zero());
}

TEST_CASE("F_p2 batch inverse", "[field]") {
  std::mt19937_64 rng(7);
  std::vector<Fp2> xs;
  for (int i = 0; i < 100; ++i) xs.push_back(i == 50 ? Fp2::zero() : random_fp2(rng));
  auto ys = xs;
  zks::field::batch_inverse(ys);
  for (size_t i = 0; i < xs.size(); ++i) REQUIRE(ys[i] == xs[i].inverse());
}

TEST_CASE("batch inverse of every short length, zeros on any chain, both fields", "[field]") {
  std::mt19937_64 rng(9);
  for (size_t n = 0; n <= 11; ++n) {
    CAPTURE(n);
    std::vector<Fp> xs;
    std::vector<Fp2> zs;
    for (size_t i = 0; i < n; ++i) {
      const bool zero = (i * 7 + n) % 5 == 0;
      xs.push_back(zero ? Fp::zero() : Fp(rng()));
      zs.push_back(zero ? Fp2::zero() : random_fp2(rng));
    }
    auto ys = xs;
    auto ws = zs;
    zks::field::batch_inverse(ys);
    zks::field::batch_inverse(ws);
    for (size_t i = 0; i < n; ++i) {
      REQUIRE(ys[i] == xs[i].inverse());
      REQUIRE(ws[i] == zs[i].inverse());
    }
  }
}

TEST_CASE("field serialization round trips and refuses non-canonical bytes", "[field]") {
  std::mt19937_64 rng(8);
  zks::util::ByteWriter w;
  std::vector<Fp2> xs;
  for (int i = 0; i < 20; ++i) xs.push_back(random_fp2(rng));
  zks::field::write_vec(w, xs);
  zks::field::write(w, Fp(P - 1));
  auto bytes = w.take();
  {
    zks::util::ByteReader r(bytes);
    std::vector<Fp2> ys;
    REQUIRE(zks::field::read_vec(r, ys, 100).ok());
    REQUIRE(ys == xs);
    Fp last;
    REQUIRE(zks::field::read(r, last).ok());
    REQUIRE(last == Fp(P - 1));
    REQUIRE(r.at_end());
  }
  SECTION("a value equal to p is refused") {
    zks::util::ByteWriter w2;
    w2.u64(P);
    zks::util::ByteReader r(w2.bytes());
    Fp x;
    auto st = zks::field::read(r, x);
    REQUIRE_FALSE(st.ok());
    REQUIRE_THAT(st.error(), Catch::Contains("non-canonical"));
  }
  SECTION("a value above p in the extension's second coordinate is refused") {
    zks::util::ByteWriter w2;
    w2.u64(5);
    w2.u64(~0ull);
    zks::util::ByteReader r(w2.bytes());
    Fp2 x;
    REQUIRE_FALSE(zks::field::read(r, x).ok());
  }
  SECTION("truncated input is refused") {
    zks::util::ByteReader r(std::span<const uint8_t>(bytes.data(), 7));
    Fp x;
    REQUIRE_THAT(zks::field::read(r, x).error(), Catch::Contains("truncated"));
  }
  SECTION("an oversized vector length is refused before allocation") {
    zks::util::ByteReader r(bytes);
    std::vector<Fp2> ys;
    REQUIRE_THAT(zks::field::read_vec(r, ys, 5).error(), Catch::Contains("exceeds limit"));
  }
}
